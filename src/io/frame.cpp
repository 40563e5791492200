// edgeinfer::Image and PixelFormat (include/edgeinfer/frame.hpp), and the conversions between OpenCV
// matrices and the public image types (io/frame.hpp).
#include "io/frame.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "io/sources.hpp"

namespace edgeinfer {
namespace {

constexpr std::pair<PixelFormat, std::string_view> kPixelFormats[] = {{PixelFormat::kBgr8, "bgr8"},
                                                                      {PixelFormat::kRgb8, "rgb8"},
                                                                      {PixelFormat::kGray8, "gray8"},
                                                                      {PixelFormat::kBgra8, "bgra8"},
                                                                      {PixelFormat::kRgba8, "rgba8"}};

size_t packed_stride(int width, PixelFormat format) {
    return static_cast<size_t>(width) * static_cast<size_t>(channels_of(format));
}

}  // namespace

std::string_view to_string(PixelFormat f) {
    for (const auto& [value, name] : kPixelFormats)
        if (value == f) return name;
    return "?";
}

Result<PixelFormat> parse_pixel_format(std::string_view name) {
    std::string key(name);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [value, text] : kPixelFormats)
        if (key == text) return value;
    return invalid_argument("pixel format '" + std::string(name) + "': expected bgr8, rgb8, gray8, bgra8 or rgba8");
}

int channels_of(PixelFormat f) {
    switch (f) {
        case PixelFormat::kBgr8:
        case PixelFormat::kRgb8:
            return 3;
        case PixelFormat::kGray8:
            return 1;
        case PixelFormat::kBgra8:
        case PixelFormat::kRgba8:
            return 4;
    }
    return 0;
}

Image Image::allocate(int width, int height, PixelFormat format) {
    if (width <= 0 || height <= 0) return Image();
    const size_t stride = packed_stride(width, format);
    const size_t bytes = stride * static_cast<size_t>(height);
    std::shared_ptr<uint8_t[]> pixels(new uint8_t[bytes]());
    uint8_t* data = pixels.get();
    return wrap_shared(std::shared_ptr<void>(pixels, data), data, width, height, format, stride);
}

Image Image::copy_of(const ImageView& view) {
    if (view.data == nullptr || view.width <= 0 || view.height <= 0) return Image();
    Image out = allocate(view.width, view.height, view.format);
    const size_t row = out.stride();
    const size_t from = view.stride != 0 ? view.stride : row;
    for (int y = 0; y < view.height; ++y)
        std::memcpy(out.data() + static_cast<size_t>(y) * row, view.data + static_cast<size_t>(y) * from, row);
    return out;
}

Result<Image> Image::read(const std::string& path, int64_t max_pixels) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return not_found("image '" + path + "': no such file");
    auto mat = io::read_image_file(path, max_pixels);
    if (!mat.is_ok()) return mat.status();
    return io::image_from_mat(mat.value());
}

Image Image::clone() const { return copy_of(view()); }

Image Image::wrap_shared(std::shared_ptr<void> holder, uint8_t* data, int width, int height, PixelFormat format,
                         size_t stride) {
    Image image;
    if (data == nullptr || width <= 0 || height <= 0) return image;
    image.holder_ = std::move(holder);
    image.data_ = data;
    image.width_ = width;
    image.height_ = height;
    image.format_ = format;
    image.stride_ = stride != 0 ? stride : packed_stride(width, format);
    return image;
}

}  // namespace edgeinfer

namespace edgeinfer::io {

Result<Image> image_from_mat(const cv::Mat& mat) {
    if (mat.empty()) return invalid_argument("image is empty (no pixels)");
    PixelFormat format;
    switch (mat.type()) {
        case CV_8UC3:
            format = PixelFormat::kBgr8;
            break;
        case CV_8UC1:
            format = PixelFormat::kGray8;
            break;
        case CV_8UC4:
            format = PixelFormat::kBgra8;
            break;
        default:
            return unsupported("image of OpenCV type " + std::to_string(mat.type()) +
                               ": expected 8-bit pixels with 1, 3 or 4 channels");
    }
    auto holder = std::make_shared<cv::Mat>(mat);  // shares the Mat's pixels and keeps them alive
    uint8_t* data = holder->data;
    return Image::wrap_shared(std::shared_ptr<void>(holder, data), data, mat.cols, mat.rows, format, mat.step[0]);
}

Result<edgeinfer::Frame> to_public_frame(const Frame& frame) {
    edgeinfer::Frame out;
    auto image = image_from_mat(frame.image);
    if (!image.is_ok()) return image.status().with_context(frame.source_id);
    out.image = std::move(image).value();
    out.seq = frame.seq;
    out.timestamp_us = frame.timestamp_us;
    out.source_id = frame.source_id;
    return out;
}

Status check_view(const ImageView& view, const std::string& what) {
    if (view.data == nullptr) return invalid_argument(what + " is empty (no pixels)");
    if (view.width <= 0 || view.height <= 0)
        return invalid_argument(what + " is " + std::to_string(view.width) + "x" + std::to_string(view.height) +
                                ": width and height must be positive");
    const int channels = channels_of(view.format);
    if (channels == 0) return invalid_argument(what + " has an unknown pixel format");
    if (view.width > 65536 || view.height > 65536)
        return invalid_argument(what + " is " + std::to_string(view.width) + "x" + std::to_string(view.height) +
                                ": larger than 65536 pixels a side");
    const size_t row = static_cast<size_t>(view.width) * static_cast<size_t>(channels);
    if (view.stride != 0 && view.stride < row)
        return invalid_argument(what + ": stride " + std::to_string(view.stride) + " is less than a row of " +
                                std::to_string(view.width) + " " + std::string(to_string(view.format)) + " pixels (" +
                                std::to_string(row) + " bytes)");
    return Status::ok();
}

cv::Mat mat_from_view(const ImageView& view) {
    const int channels = channels_of(view.format);
    const size_t stride = view.stride != 0 ? view.stride : static_cast<size_t>(view.width) * channels;
    return cv::Mat(view.height, view.width, CV_MAKETYPE(CV_8U, channels), const_cast<uint8_t*>(view.data), stride);
}

Result<cv::Mat> bgr_mat_from_view(const ImageView& view, const std::string& what) {
    Status s = check_view(view, what);
    if (!s.is_ok()) return s;
    cv::Mat m = mat_from_view(view);
    cv::Mat bgr;
    try {
        switch (view.format) {
            case PixelFormat::kBgr8:
            case PixelFormat::kGray8:
            case PixelFormat::kBgra8:
                return m;  // the preprocessing reads 1- and 4-channel BGR images as they are
            case PixelFormat::kRgb8:
                cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
                return bgr;
            case PixelFormat::kRgba8:
                cv::cvtColor(m, bgr, cv::COLOR_RGBA2BGR);
                return bgr;
        }
    } catch (const cv::Exception& e) {
        return internal_error(what + ": OpenCV: " + e.what());
    }
    return invalid_argument(what + " has an unknown pixel format");
}

}  // namespace edgeinfer::io
