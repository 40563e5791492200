// ImageModel: OpenCV decodes the bytes (after io's header check against the pixel limit); the public
// Classifier preprocesses by its sidecar and runs; results are written as JSON strings.
#include "serve/image_model.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "io/frame.hpp"
#include "io/image_header.hpp"

namespace edgeinfer::serve {

Result<std::unique_ptr<ImageModel>> ImageModel::create(const std::string& model_path, const std::string& task) {
    if (task != "classify") return invalid_argument("image_task '" + task + "' is not supported (classify)");
    auto classifier = Classifier::create(model_path);
    if (!classifier.is_ok()) return classifier.status().with_context("image_task classify");
    auto m = std::make_unique<ImageModel>();
    m->classifier_ = std::move(classifier.value());
    return m;
}

bool ImageModel::is_image_request(const std::vector<NamedTensor>& inputs) {
    return inputs.size() == 1 && inputs[0].name == "image" && inputs[0].tensor.dtype() == DataType::kString;
}

Result<std::vector<NamedTensor>> ImageModel::run(const NamedTensor& images) {
    const std::vector<std::string>& encoded = images.tensor.string_data();
    if (encoded.empty()) return invalid_argument("input 'image' holds no images");
    std::vector<Image> decoded;
    for (size_t i = 0; i < encoded.size(); ++i) {
        std::string what = "input 'image' element " + std::to_string(i);
        const auto* bytes = reinterpret_cast<const uint8_t*>(encoded[i].data());
        Status limit = io::check_image_bytes(what, bytes, encoded[i].size(), 0);
        if (!limit.is_ok()) return invalid_argument(limit.message());
        cv::Mat mat;
        try {
            mat = cv::imdecode(cv::Mat(1, static_cast<int>(encoded[i].size()), CV_8UC1, const_cast<uint8_t*>(bytes)),
                               cv::IMREAD_COLOR);
        } catch (const cv::Exception&) {
            mat = cv::Mat();
        }
        if (mat.empty()) return invalid_argument(what + " is not a decodable image (JPEG, PNG, BMP)");
        auto image = io::image_from_mat(mat);
        if (!image.is_ok()) return image.status();
        decoded.push_back(std::move(image.value()));
    }
    std::vector<ImageView> views;
    for (const Image& image : decoded) views.push_back(image.view());
    Result<std::vector<Classification>> results = std::vector<Classification>{};
    {
        std::lock_guard<std::mutex> lock(mutex_);
        results = classifier_->classify(views);
    }
    if (!results.is_ok()) return results.status();
    std::vector<std::string> json_results;
    for (const Classification& c : results.value()) {
        nlohmann::json top = nlohmann::json::array();
        for (const ClassScore& s : c.top) top.push_back({{"index", s.index}, {"label", s.label}, {"score", s.score}});
        json_results.push_back(nlohmann::json{{"top", top}}.dump());
    }
    auto n = static_cast<int64_t>(json_results.size());  // before the move below
    std::vector<NamedTensor> out;
    out.push_back({"classification", Tensor::strings({n}, std::move(json_results))});
    return out;
}

}  // namespace edgeinfer::serve
