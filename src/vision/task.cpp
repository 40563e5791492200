// vision::TaskHead's default drawing and the banner it uses, and the per-item outputs of a batched run (see task.hpp).
#include "vision/task.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace edgeinfer::vision {

void draw_banner(cv::Mat& image, const std::string& text) {
    if (image.empty() || text.empty()) return;
    const double font_scale = std::clamp(image.cols / 640.0, 0.35, 1.2);
    const int thickness = font_scale > 0.8 ? 2 : 1;
    int baseline = 0;
    cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font_scale, thickness, &baseline);
    const int h = std::min(image.rows, size.height + baseline + 8);
    cv::Mat band = image(cv::Rect(0, 0, image.cols, h));
    band *= 0.35;
    cv::putText(image, text, cv::Point(4, h - baseline - 4), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
}

void TaskHead::annotate(cv::Mat& image, const TaskResult& result) const { draw_banner(image, line(result)); }

std::vector<NamedTensor> item_outputs(const std::vector<NamedTensor>& outputs, int64_t b, int64_t batch) {
    std::vector<NamedTensor> views;
    for (const NamedTensor& out : outputs) {
        if (batch == 1 || out.tensor.rank() == 0 || out.tensor.dims()[0] != batch) {
            views.push_back(out);
            continue;
        }
        std::vector<int64_t> dims = out.tensor.dims();
        dims[0] = 1;
        const size_t bytes = static_cast<size_t>(shape_numel(dims)) * dtype_size(out.tensor.dtype());
        views.push_back({out.name, Tensor::wrap(out.tensor.dtype(), dims,
                                                static_cast<uint8_t*>(const_cast<void*>(out.tensor.data())) +
                                                    static_cast<size_t>(b) * bytes)});
    }
    return views;
}

}  // namespace edgeinfer::vision
