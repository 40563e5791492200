// Input files of compare --precision and quantize: listing and image preprocessing.
#include "cli/input_files.hpp"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>

#include "base/status.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::cli {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".bmp";
}

Result<std::vector<fs::path>> list_input_files(const std::vector<std::string>& specs, const std::string& flag) {
    std::vector<fs::path> files;
    for (const std::string& spec : specs) {
        std::error_code ec;
        if (fs::is_directory(spec, ec)) {
            std::vector<fs::path> here;
            for (const auto& e : fs::directory_iterator(spec, ec))
                if (e.is_regular_file() && (e.path().extension() == ".npy" || is_image_file(e.path())))
                    here.push_back(e.path());
            if (here.empty())
                return invalid_argument(flag + " " + spec +
                                        ": the directory has no .npy files or images (.jpg .png .bmp)");
            std::sort(here.begin(), here.end());
            files.insert(files.end(), here.begin(), here.end());
        } else if (fs::is_regular_file(spec, ec)) {
            if (fs::path(spec).extension() != ".npy" && !is_image_file(spec))
                return invalid_argument(flag + " " + spec + ": not a .npy file or an image (.jpg .png .bmp)");
            files.emplace_back(spec);
        } else {
            return not_found(flag + " " + spec + ": no such file or directory");
        }
    }
    return files;
}

Result<Tensor> read_image_input(const fs::path& f, const std::string& model, const ValueDescription& in,
                                std::optional<vision::ResolvedPreprocess>& pre) {
    if (!pre) {
        EDGEINFER_ASSIGN_OR_RETURN(auto sidecar, vision::find_sidecar(model, ""));
        EDGEINFER_ASSIGN_OR_RETURN(
            pre, vision::resolve_preprocess(vision::PreprocessConfig{}, sidecar ? &*sidecar : nullptr, {}, in));
    }
    cv::Mat img = cv::imread(f.string(), cv::IMREAD_COLOR);
    if (img.empty()) return invalid_argument(f.string() + ": could not decode the image");
    const vision::PreprocessConfig& c = pre->config;
    std::vector<int64_t> dims = c.layout == vision::Layout::kNchw
                                    ? std::vector<int64_t>{1, c.channels, c.height, c.width}
                                    : std::vector<int64_t>{1, c.height, c.width, c.channels};
    Tensor t = Tensor::allocate(c.dtype, dims);
    auto info = vision::preprocess_into(img, c, t.data());
    if (!info.is_ok()) return info.status().with_context(f.string());
    return t;
}

}  // namespace edgeinfer::cli
