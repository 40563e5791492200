// vision::PreprocessConfig (resize mode, interpolation, scale/mean/std, color order, layout), how it is
// resolved from defaults, the model's sidecar and flags, and preprocess_into: one BGR8 frame into a
// model input buffer, returning the PreprocessInfo that maps model-input pixels back to the frame.
#pragma once

#include <array>
#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/vision.hpp"

namespace edgeinfer::vision {

struct Sidecar;

// The public enums (include/edgeinfer/vision.hpp) and their one name table. kCrop: shorter side to
// (input side / crop_fraction), then center crop (torchvision's eval transform); kLetterbox: fit inside,
// keep the aspect ratio, pad with pad_value. Layout is per frame; NCTHW clips are NCHW frames written with
// a channel stride.
using ResizeMode = edgeinfer::ResizeMode;
using Interpolation = edgeinfer::Interpolation;
using ColorOrder = edgeinfer::ColorOrder;
using Layout = edgeinfer::Layout;

struct PreprocessConfig {
    int width = 0;  // model input size (pixels)
    int height = 0;
    int channels = 3;  // 3 (RGB/BGR) or 1 (GRAY)
    ResizeMode resize = ResizeMode::kStretch;
    Interpolation interpolation = Interpolation::kLinear;
    double crop_fraction = 0.875;  // kCrop: 224 of 256, as torchvision
    int pad_value = 114;           // kLetterbox: gray level of the padding (before normalization)
    double scale = 1.0 / 255.0;    // value = (pixel * scale - mean[c]) / std[c]
    std::vector<double> mean{0.485, 0.456, 0.406};
    std::vector<double> std{0.229, 0.224, 0.225};
    ColorOrder color = ColorOrder::kRgb;
    Layout layout = Layout::kNchw;
    DataType dtype = DataType::kFloat32;  // kFloat32, or kUInt8 (raw pixels, no normalization)

    // "stretch 224x224 linear, RGB, NCHW, scale 1/255, mean [0.485,0.456,0.406], std [0.229,0.224,0.225]"
    std::string describe() const;
};

// Preprocessing flags as given on the command line: unset fields leave the sidecar's or defaults' value.
struct PreprocessOverrides {
    std::optional<std::pair<int, int>> size;     // --size WxH
    std::optional<ResizeMode> resize;            // --resize stretch|letterbox|crop
    std::optional<Interpolation> interpolation;  // --interp nearest|linear|cubic|area
    std::optional<std::vector<double>> mean;     // --mean 0.5,0.5,0.5 (one value: all channels)
    std::optional<std::vector<double>> std;      // --std ...
    std::optional<double> scale;                 // --scale 1|255 (the pixel range: 1 means 0..1, i.e. x/255)
    std::optional<ColorOrder> color;             // --bgr / --rgb
    std::optional<Layout> layout;                // --nhwc / --nchw
    bool any() const;
};

// Parsers for the flag values; kInvalidArgument names the flag and the expected form. The enum
// parsers and names are edgeinfer::parse_* / edgeinfer::to_string (the one name table).
Result<std::pair<int, int>> parse_size_flag(const std::string& text);  // "224x224" or "224"
Result<ResizeMode> parse_resize_mode(const std::string& text);
Result<Interpolation> parse_interpolation(const std::string& text);
Result<std::vector<double>> parse_channel_values(const std::string& text, const std::string& flag);
// Standard deviations: parse_channel_values, and none may be 0 (a division by zero).
Result<std::vector<double>> parse_std_values(const std::string& text, const std::string& flag);
std::string resize_mode_name(ResizeMode m);
std::string interpolation_name(Interpolation i);

// Where each part of the final configuration came from, for the line printed once at start.
struct ResolvedPreprocess {
    PreprocessConfig config;
    std::string origin;  // "sidecar models/x.json", "flags", "sidecar + flags", "defaults (no sidecar, no flags)"
};

// defaults (head defaults already applied to `base`) → sidecar → flags → the model input itself
// (size, channels, layout and dtype when the model fixes them). `input` is the model input that
// receives pixels; its dims decide the size when neither sidecar nor flags do. Errors name the
// flag or sidecar key at fault, or say which size is missing (dynamic H/W and no --size).
Result<ResolvedPreprocess> resolve_preprocess(PreprocessConfig base, const Sidecar* sidecar,
                                              const PreprocessOverrides& flags, const ValueDescription& input);

// How model-input coordinates map back to the original frame: x_frame = (x_in - offset_x) / scale_x.
struct PreprocessInfo {
    int frame_width = 0, frame_height = 0;  // the original frame
    int input_width = 0, input_height = 0;  // what the model saw
    double scale_x = 1.0, scale_y = 1.0;    // input pixels per frame pixel
    double offset_x = 0.0, offset_y = 0.0;  // letterbox padding (positive) or crop start (negative), input pixels

    // Model-input pixel coordinates → frame pixel coordinates (clamped to the frame when `clamp`).
    cv::Point2d to_frame(double x_in, double y_in, bool clamp = true) const;
    // A box (x1, y1, x2, y2) in model-input pixels → frame pixels, clamped.
    std::array<double, 4> box_to_frame(const std::array<double, 4>& box) const;
};

// Writes one frame (BGR8, any size; 1- or 4-channel images are converted) into `dst` as
// `config` says: for kNchw channel c starts at dst + c * channel_stride (channel_stride 0 means
// width*height); for kNhwc pixels are interleaved. `dst` is float* for kFloat32 and uint8_t* for kUInt8.
Result<PreprocessInfo> preprocess_into(const cv::Mat& frame, const PreprocessConfig& config, void* dst,
                                       int64_t channel_stride = 0);

// The resized/cropped/padded BGR8 image the model sees (before normalization), with its info.
Result<cv::Mat> resize_for_model(const cv::Mat& frame, const PreprocessConfig& config, PreprocessInfo* info);

}  // namespace edgeinfer::vision
