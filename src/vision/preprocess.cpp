// Preprocessing: the configuration resolved from defaults, sidecar, flags and the model input, and the
// frame → input tensor conversion (resize/letterbox/crop with OpenCV, then scale, mean/std, layout).
#include "vision/preprocess.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "base/status.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::vision {
namespace {

bool parse_int(std::string_view text, int& out) {
    if (text.empty()) return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

std::string upper(std::string_view name) {
    std::string s(name);
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

int cv_interpolation(Interpolation i) {
    switch (i) {
        case Interpolation::kNearest:
            return cv::INTER_NEAREST;
        case Interpolation::kLinear:
            return cv::INTER_LINEAR;
        case Interpolation::kCubic:
            return cv::INTER_CUBIC;
        case Interpolation::kArea:
            return cv::INTER_AREA;
    }
    return cv::INTER_LINEAR;
}

std::string list(const std::vector<double>& v) {
    std::ostringstream s;
    s << "[";
    for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
    s << "]";
    return s.str();
}

// Brings any 8/16-bit 1/3/4-channel image to BGR8.
Result<cv::Mat> to_bgr8(const cv::Mat& frame) {
    if (frame.empty()) return invalid_argument("empty frame");
    cv::Mat m = frame;
    if (m.depth() == CV_16U) {
        cv::Mat eight;
        m.convertTo(eight, CV_8U, 1.0 / 257.0);
        m = eight;
    } else if (m.depth() != CV_8U) {
        return unsupported("frame of OpenCV depth " + std::to_string(m.depth()) + ": expected 8- or 16-bit pixels");
    }
    cv::Mat bgr;
    switch (m.channels()) {
        case 3:
            return m;
        case 1:
            cv::cvtColor(m, bgr, cv::COLOR_GRAY2BGR);
            return bgr;
        case 4:
            cv::cvtColor(m, bgr, cv::COLOR_BGRA2BGR);
            return bgr;
        default:
            return unsupported("frame with " + std::to_string(m.channels()) + " channels: expected 1, 3 or 4");
    }
}

// Mean/std of `n` values for `channels` channels: one value broadcasts, 3 values average to gray.
Result<std::vector<double>> fit_channels(const std::vector<double>& v, int channels, const std::string& what) {
    if (static_cast<int>(v.size()) == channels) return v;
    if (v.size() == 1) return std::vector<double>(static_cast<size_t>(channels), v[0]);
    if (channels == 1 && v.size() == 3) return std::vector<double>{(v[0] + v[1] + v[2]) / 3.0};
    return invalid_argument(what + " has " + std::to_string(v.size()) + " values but the model input has " +
                            std::to_string(channels) + " channels");
}

}  // namespace

std::string resize_mode_name(ResizeMode m) { return std::string(to_string(m)); }
std::string interpolation_name(Interpolation i) { return std::string(to_string(i)); }

std::string PreprocessConfig::describe() const {
    std::ostringstream s;
    s << resize_mode_name(resize);
    if (resize == ResizeMode::kCrop) s << " (fraction " << crop_fraction << ")";
    s << " " << width << "x" << height << " " << interpolation_name(interpolation) << ", " << upper(to_string(color))
      << ", " << upper(to_string(layout));
    if (dtype == DataType::kUInt8) {
        s << ", uint8 pixels";
    } else {
        s << ", scale " << (std::abs(scale - 1.0 / 255.0) < 1e-12 ? std::string("1/255") : std::to_string(scale))
          << ", mean " << list(mean) << ", std " << list(std);
    }
    return s.str();
}

bool PreprocessOverrides::any() const {
    return size || resize || interpolation || mean || std || scale || color || layout;
}

Result<std::pair<int, int>> parse_size_flag(const std::string& text) {
    int w = 0, h = 0;
    auto x = text.find('x');
    bool ok = x == std::string::npos ? parse_int(text, w) && (h = w, true)
                                     : parse_int(std::string_view(text).substr(0, x), w) &&
                                           parse_int(std::string_view(text).substr(x + 1), h);
    if (!ok || w < 1 || h < 1 || w > 16384 || h > 16384)
        return invalid_argument("--size '" + text + "': expected WxH (e.g. 224x224) or one number, 1..16384");
    return std::make_pair(w, h);
}

Result<ResizeMode> parse_resize_mode(const std::string& text) { return edgeinfer::parse_resize_mode(text); }
Result<Interpolation> parse_interpolation(const std::string& text) { return edgeinfer::parse_interpolation(text); }

Result<std::vector<double>> parse_channel_values(const std::string& text, const std::string& flag) {
    std::vector<double> v;
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ',')) {
        try {
            size_t used = 0;
            v.push_back(std::stod(item, &used));
            if (used != item.size()) throw std::invalid_argument(item);
        } catch (const std::exception&) {
            return invalid_argument(flag + " '" + text + "': '" + item + "' is not a number");
        }
    }
    if (v.empty() || v.size() > 4)
        return invalid_argument(flag + " '" + text + "': expected 1 to 4 comma-separated numbers");
    return v;
}

Result<std::vector<double>> parse_std_values(const std::string& text, const std::string& flag) {
    EDGEINFER_ASSIGN_OR_RETURN(std::vector<double> v, parse_channel_values(text, flag));
    for (double d : v)
        if (d == 0.0) return invalid_argument(flag + " '" + text + "': a standard deviation of 0");
    return v;
}

Result<ResolvedPreprocess> resolve_preprocess(PreprocessConfig c, const Sidecar* sidecar,
                                              const PreprocessOverrides& flags, const ValueDescription& input) {
    const std::string where = sidecar ? "sidecar '" + sidecar->path + "'" : std::string();
    std::vector<int64_t> sidecar_shape;
    if (sidecar) {
        const Sidecar& s = *sidecar;
        if (!s.layout.empty()) {  // NCTHW (clips) is NCHW frames written with a channel stride
            auto l = s.layout == "NCTHW" ? Result<Layout>(Layout::kNchw) : parse_layout(s.layout);
            if (!l.is_ok())
                return invalid_argument(where + ": key 'layout' is '" + s.layout + "'; expected NCHW, NHWC or NCTHW");
            c.layout = l.value();
        }
        if (!s.color_order.empty() && s.color_order != "NONE") {
            auto o = parse_color_order(s.color_order);
            if (!o.is_ok())
                return invalid_argument(where + ": key 'color_order' is '" + s.color_order +
                                        "'; expected RGB, BGR or GRAY");
            c.color = o.value();
        }
        if (s.scale) c.scale = *s.scale;
        if (!s.mean.empty()) c.mean = s.mean;
        if (!s.std.empty()) c.std = s.std;
        if (!s.resize.empty()) {
            auto r = parse_resize_mode(s.resize);
            if (!r.is_ok()) return r.status().with_context(where + ": key 'resize'");
            c.resize = r.value();
        }
        if (!s.interpolation.empty()) {
            auto i = parse_interpolation(s.interpolation);
            if (!i.is_ok()) return i.status().with_context(where + ": key 'interpolation'");
            c.interpolation = i.value();
        }
        if (s.crop_fraction) c.crop_fraction = *s.crop_fraction;
        sidecar_shape = s.input_shape;
    }
    if (flags.resize) c.resize = *flags.resize;
    if (flags.interpolation) c.interpolation = *flags.interpolation;
    if (flags.mean) c.mean = *flags.mean;
    if (flags.std) c.std = *flags.std;
    if (flags.scale) c.scale = *flags.scale;
    if (flags.color) c.color = *flags.color;
    if (flags.layout) c.layout = *flags.layout;

    // The model input decides what it fixes: rank, channels, size, dtype.
    const std::vector<int64_t>& d = input.dims;
    const bool video = d.size() == 5;
    if (d.size() != 4 && !video)
        return unsupported("model input '" + input.name + "' has shape " + shape_to_string(d) +
                           "; image tasks need N x C x H x W (or N x H x W x C, N x C x T x H x W for video)");
    if (!flags.layout && (!sidecar || sidecar->layout.empty()) && !video) {
        if (d[1] != 1 && d[1] != 3 && (d[3] == 1 || d[3] == 3)) c.layout = Layout::kNhwc;
    }
    if (video) c.layout = Layout::kNchw;
    // Dim `nchw_index` (0 N, 1 C, 2 H, 3 W) of a shape in the input's layout.
    auto dim_of = [&](const std::vector<int64_t>& dims, int nchw_index) -> int64_t {
        static const int kNhwcIndex[4] = {0, 3, 1, 2};
        int i = video ? (nchw_index <= 1 ? nchw_index : nchw_index + 1)
                      : (c.layout == Layout::kNchw ? nchw_index : kNhwcIndex[nchw_index]);
        return dims[static_cast<size_t>(i)];
    };
    auto dim = [&](int nchw_index) { return dim_of(d, nchw_index); };
    auto sidecar_dim = [&](int nchw_index) -> int64_t {
        return sidecar_shape.size() == d.size() ? dim_of(sidecar_shape, nchw_index) : -1;
    };
    int64_t channels = dim(1);
    if (channels <= 0) channels = sidecar_dim(1) > 0 ? sidecar_dim(1) : (c.color == ColorOrder::kGray ? 1 : 3);
    if (channels != 1 && channels != 3)
        return unsupported("model input '" + input.name + "' (" + shape_to_string(d) + ") has " +
                           std::to_string(channels) + " channels; image tasks need 1 (gray) or 3 (color)" +
                           (c.layout == Layout::kNchw ? "; is it channels-last? try --nhwc" : ""));
    c.channels = static_cast<int>(channels);
    if (c.channels == 1)
        c.color = ColorOrder::kGray;
    else if (c.color == ColorOrder::kGray)
        c.color = ColorOrder::kRgb;
    int64_t h = dim(2), w = dim(3);
    if (flags.size) {
        auto [fw, fh] = *flags.size;
        if ((h > 0 && h != fh) || (w > 0 && w != fw))
            return invalid_argument("--size " + std::to_string(fw) + "x" + std::to_string(fh) + ": model input '" +
                                    input.name + "' is fixed at " + shape_to_string(d));
        w = fw;
        h = fh;
    }
    if (h <= 0) h = sidecar_dim(2);
    if (w <= 0) w = sidecar_dim(3);
    if (h <= 0 || w <= 0)
        return invalid_argument("model input '" + input.name + "' (" + shape_to_string(d) +
                                ") has a dynamic height or width and no sidecar says which: give --size WxH");
    c.width = static_cast<int>(w);
    c.height = static_cast<int>(h);
    if (input.dtype == DataType::kUInt8) {
        c.dtype = DataType::kUInt8;
    } else if (input.dtype == DataType::kFloat32) {
        c.dtype = DataType::kFloat32;
    } else {
        return unsupported("model input '" + input.name + "' is " + std::string(dtype_name(input.dtype)) +
                           "; image tasks feed float32 or uint8");
    }
    const std::string mean_from = flags.mean                          ? "--mean"
                                  : sidecar && !sidecar->mean.empty() ? where + " 'mean'"
                                                                      : "mean";
    const std::string std_from = flags.std ? "--std" : sidecar && !sidecar->std.empty() ? where + " 'std'" : "std";
    EDGEINFER_ASSIGN_OR_RETURN(c.mean, fit_channels(c.mean, c.channels, mean_from));
    EDGEINFER_ASSIGN_OR_RETURN(c.std, fit_channels(c.std, c.channels, std_from));
    for (double s : c.std)
        if (s == 0.0) return invalid_argument(std_from + " holds a 0 (division by zero)");

    ResolvedPreprocess r;
    r.config = c;
    if (sidecar && flags.any())
        r.origin = "sidecar " + sidecar->path + " + flags";
    else if (sidecar)
        r.origin = "sidecar " + sidecar->path;
    else if (flags.any())
        r.origin = "flags and defaults";
    else
        r.origin = "defaults: no sidecar, no flags";
    return r;
}

cv::Point2d PreprocessInfo::to_frame(double x_in, double y_in, bool clamp) const {
    double x = (x_in - offset_x) / scale_x;
    double y = (y_in - offset_y) / scale_y;
    if (clamp) {
        x = std::clamp(x, 0.0, static_cast<double>(frame_width));
        y = std::clamp(y, 0.0, static_cast<double>(frame_height));
    }
    return {x, y};
}

std::array<double, 4> PreprocessInfo::box_to_frame(const std::array<double, 4>& box) const {
    cv::Point2d a = to_frame(box[0], box[1]);
    cv::Point2d b = to_frame(box[2], box[3]);
    return {a.x, a.y, b.x, b.y};
}

Result<cv::Mat> resize_for_model(const cv::Mat& frame, const PreprocessConfig& config, PreprocessInfo* info) {
    EDGEINFER_ASSIGN_OR_RETURN(cv::Mat bgr, to_bgr8(frame));
    const int fw = bgr.cols, fh = bgr.rows, W = config.width, H = config.height;
    if (W < 1 || H < 1) return invalid_argument("preprocessing: no input size set");
    const int interp = cv_interpolation(config.interpolation);
    PreprocessInfo i;
    i.frame_width = fw;
    i.frame_height = fh;
    i.input_width = W;
    i.input_height = H;
    cv::Mat out;
    try {
        switch (config.resize) {
            case ResizeMode::kStretch: {
                cv::resize(bgr, out, cv::Size(W, H), 0, 0, interp);
                i.scale_x = static_cast<double>(W) / fw;
                i.scale_y = static_cast<double>(H) / fh;
                break;
            }
            case ResizeMode::kLetterbox: {
                const double r = std::min(static_cast<double>(W) / fw, static_cast<double>(H) / fh);
                const int nw = std::clamp(static_cast<int>(std::lround(fw * r)), 1, W);
                const int nh = std::clamp(static_cast<int>(std::lround(fh * r)), 1, H);
                const int left = (W - nw) / 2, top = (H - nh) / 2;
                cv::Mat inner;
                cv::resize(bgr, inner, cv::Size(nw, nh), 0, 0, interp);
                const cv::Scalar pad(config.pad_value, config.pad_value, config.pad_value);
                cv::copyMakeBorder(inner, out, top, H - nh - top, left, W - nw - left, cv::BORDER_CONSTANT, pad);
                i.scale_x = static_cast<double>(nw) / fw;
                i.scale_y = static_cast<double>(nh) / fh;
                i.offset_x = left;
                i.offset_y = top;
                break;
            }
            case ResizeMode::kCrop: {
                const double r = std::max(static_cast<double>(W) / fw, static_cast<double>(H) / fh) /
                                 std::clamp(config.crop_fraction, 1e-3, 1.0);
                const int nw = std::max(W, static_cast<int>(std::lround(fw * r)));
                const int nh = std::max(H, static_cast<int>(std::lround(fh * r)));
                const int x0 = static_cast<int>(std::lround((nw - W) / 2.0));
                const int y0 = static_cast<int>(std::lround((nh - H) / 2.0));
                cv::Mat scaled;
                cv::resize(bgr, scaled, cv::Size(nw, nh), 0, 0, interp);
                out = scaled(cv::Rect(x0, y0, W, H)).clone();
                i.scale_x = static_cast<double>(nw) / fw;
                i.scale_y = static_cast<double>(nh) / fh;
                i.offset_x = -x0;
                i.offset_y = -y0;
                break;
            }
        }
    } catch (const cv::Exception& e) {
        return internal_error(std::string("preprocessing: OpenCV: ") + e.what());
    }
    if (info) *info = i;
    return out;
}

Result<PreprocessInfo> preprocess_into(const cv::Mat& frame, const PreprocessConfig& config, void* dst,
                                       int64_t channel_stride) {
    PreprocessInfo info;
    EDGEINFER_ASSIGN_OR_RETURN(cv::Mat image, resize_for_model(frame, config, &info));
    const int W = config.width, H = config.height;
    try {
        if (config.color == ColorOrder::kRgb)
            cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
        else if (config.color == ColorOrder::kGray)
            cv::cvtColor(image, image, cv::COLOR_BGR2GRAY);
        const int C = image.channels();
        if (static_cast<int>(config.mean.size()) != C || static_cast<int>(config.std.size()) != C)
            return internal_error("preprocessing: mean/std not fitted to the channel count");
        const bool f32 = config.dtype == DataType::kFloat32;
        if (!f32 && config.dtype != DataType::kUInt8)
            return unsupported("preprocessing: input dtype " + std::string(dtype_name(config.dtype)));
        const int type1 = f32 ? CV_32FC1 : CV_8UC1;
        if (config.layout == Layout::kNhwc) {
            cv::Mat out(H, W, CV_MAKETYPE(CV_MAT_DEPTH(type1), C), dst);
            if (!f32) {
                image.copyTo(out);
            } else {
                image.convertTo(out, out.type());
                cv::Scalar a, b;
                for (int c = 0; c < C; ++c) {
                    a[c] = config.scale / config.std[static_cast<size_t>(c)];
                    b[c] = -config.mean[static_cast<size_t>(c)] / config.std[static_cast<size_t>(c)];
                }
                cv::multiply(out, a, out);
                cv::add(out, b, out);
            }
        } else {
            const int64_t stride = channel_stride > 0 ? channel_stride : static_cast<int64_t>(W) * H;
            std::vector<cv::Mat> planes;
            cv::split(image, planes);
            const size_t esize = f32 ? sizeof(float) : 1;
            for (int c = 0; c < C; ++c) {
                auto* base = static_cast<uint8_t*>(dst) + static_cast<size_t>(c * stride) * esize;
                cv::Mat plane(H, W, type1, base);
                const double s = config.std[static_cast<size_t>(c)];
                if (f32)
                    planes[static_cast<size_t>(c)].convertTo(plane, CV_32F, config.scale / s,
                                                             -config.mean[static_cast<size_t>(c)] / s);
                else
                    planes[static_cast<size_t>(c)].copyTo(plane);
            }
        }
    } catch (const cv::Exception& e) {
        return internal_error(std::string("preprocessing: OpenCV: ") + e.what());
    }
    return info;
}

}  // namespace edgeinfer::vision

// The one name table of the preprocessing enums (include/edgeinfer/vision.hpp): CLI flags, sidecars and
// the C API parse through these. Parsing is case-insensitive; "bilinear" and "bicubic" are accepted too.
namespace edgeinfer {
namespace {

std::string lower(std::string_view name) {
    std::string s(name);
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

template <typename E, size_t N>
Result<E> parse_name(std::string_view name, const std::pair<E, std::string_view> (&table)[N], std::string_view what,
                     std::string_view choices) {
    const std::string key = lower(name);
    for (const auto& [value, text] : table)
        if (key == text) return value;
    return invalid_argument(std::string(what) + " '" + std::string(name) + "': expected " + std::string(choices));
}

template <typename E, size_t N>
std::string_view name_of(E value, const std::pair<E, std::string_view> (&table)[N]) {
    for (const auto& [v, text] : table)
        if (v == value) return text;
    return "?";
}

constexpr std::pair<ResizeMode, std::string_view> kResizeModes[] = {
    {ResizeMode::kStretch, "stretch"}, {ResizeMode::kLetterbox, "letterbox"}, {ResizeMode::kCrop, "crop"}};
// The first name of each value is its canonical one.
constexpr std::pair<Interpolation, std::string_view> kInterpolations[] = {
    {Interpolation::kNearest, "nearest"}, {Interpolation::kLinear, "linear"},   {Interpolation::kCubic, "cubic"},
    {Interpolation::kArea, "area"},       {Interpolation::kLinear, "bilinear"}, {Interpolation::kCubic, "bicubic"}};
constexpr std::pair<ColorOrder, std::string_view> kColorOrders[] = {
    {ColorOrder::kRgb, "rgb"}, {ColorOrder::kBgr, "bgr"}, {ColorOrder::kGray, "gray"}};
constexpr std::pair<Layout, std::string_view> kLayouts[] = {{Layout::kNchw, "nchw"}, {Layout::kNhwc, "nhwc"}};

}  // namespace

std::string_view to_string(ResizeMode m) { return name_of(m, kResizeModes); }
std::string_view to_string(Interpolation i) { return name_of(i, kInterpolations); }
std::string_view to_string(ColorOrder c) { return name_of(c, kColorOrders); }
std::string_view to_string(Layout l) { return name_of(l, kLayouts); }

Result<ResizeMode> parse_resize_mode(std::string_view name) {
    return parse_name(name, kResizeModes, "resize mode", "stretch, letterbox or crop");
}
Result<Interpolation> parse_interpolation(std::string_view name) {
    return parse_name(name, kInterpolations, "interpolation", "nearest, linear, cubic or area");
}
Result<ColorOrder> parse_color_order(std::string_view name) {
    return parse_name(name, kColorOrders, "color order", "rgb, bgr or gray");
}
Result<Layout> parse_layout(std::string_view name) { return parse_name(name, kLayouts, "layout", "nchw or nhwc"); }

}  // namespace edgeinfer
