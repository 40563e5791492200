// Input files of the precision report and calibration: listing, .npy samples, image preprocessing.
#include "tools/input_files.hpp"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>

#include "base/status.hpp"
#include "ir/npy.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::tools {

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
                                std::optional<vision::ResolvedPreprocess>& pre, bool* undecodable) {
    if (undecodable) *undecodable = false;
    if (!pre) {
        EDGEINFER_ASSIGN_OR_RETURN(auto sidecar, vision::find_sidecar(model, ""));
        EDGEINFER_ASSIGN_OR_RETURN(
            pre, vision::resolve_preprocess(vision::PreprocessConfig{}, sidecar ? &*sidecar : nullptr, {}, in));
    }
    cv::Mat img = cv::imread(f.string(), cv::IMREAD_COLOR);
    if (img.empty()) {
        if (undecodable) *undecodable = true;
        return invalid_argument(f.string() + ": could not decode the image");
    }
    const vision::PreprocessConfig& c = pre->config;
    std::vector<int64_t> dims = c.layout == vision::Layout::kNchw
                                    ? std::vector<int64_t>{1, c.channels, c.height, c.width}
                                    : std::vector<int64_t>{1, c.height, c.width, c.channels};
    Tensor t = Tensor::allocate(c.dtype, dims);
    auto info = vision::preprocess_into(img, c, t.data());
    if (!info.is_ok()) return info.status().with_context(f.string());
    return t;
}

Result<Tensor> read_input_file(const fs::path& f, const std::string& model, const ValueDescription& in,
                               std::optional<vision::ResolvedPreprocess>& pre) {
    if (f.extension() == ".npy") {
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, ir::read_npy(f.string()));
        if (t.rank() + 1 == static_cast<int64_t>(in.dims.size())) {
            std::vector<int64_t> dims = t.dims();
            dims.insert(dims.begin(), 1);
            t = t.reshaped(dims);
        }
        return t;
    }
    return read_image_input(f, model, in, pre);
}

Status split_npy_samples(const fs::path& file, const ValueDescription& in, std::vector<std::vector<NamedTensor>>& out) {
    EDGEINFER_ASSIGN_OR_RETURN(Tensor t, ir::read_npy(file.string()));
    if (t.dtype() != in.dtype)
        return invalid_argument(file.string() + ": dtype " + std::string(dtype_name(t.dtype())) + ", input '" +
                                in.name + "' needs " + std::string(dtype_name(in.dtype)));
    std::vector<int64_t> dims = t.dims();
    if (dims.size() + 1 == in.dims.size()) dims.insert(dims.begin(), 1);
    if (dims.size() != in.dims.size())
        return invalid_argument(file.string() + ": shape " + shape_to_string(t.dims()) + " does not fit input '" +
                                in.name + "' of rank " + std::to_string(in.dims.size()));
    for (size_t d = 1; d < dims.size(); ++d)
        if (in.dims[d] >= 0 && in.dims[d] != dims[d])
            return invalid_argument(file.string() + ": shape " + shape_to_string(t.dims()) + ", dim " +
                                    std::to_string(d) + " must be " + std::to_string(in.dims[d]));
    std::vector<int64_t> one = dims;
    one[0] = 1;
    const size_t bytes = static_cast<size_t>(shape_numel(one)) * dtype_size(t.dtype());
    for (int64_t b = 0; b < dims[0]; ++b)
        out.push_back(
            {NamedTensor{in.name, Tensor::copy_of(t.dtype(), one, static_cast<const char*>(t.data()) + b * bytes)}});
    return Status::ok();
}

}  // namespace edgeinfer::tools
