// Kernels: Resize (opset 10, 11-17, 18+) and Upsample (opset 7-9+): nearest, n-linear and cubic interpolation.
// Resize-18 adds `axes` (scales/sizes/roi for those axes only), keep_aspect_ratio_policy (one scale for
// every listed axis when `sizes` is given: not_larger takes the smallest, not_smaller the largest, output
// sizes rounded half up) and antialias (downsampling linear/cubic stretch their filter by 1/scale, weights
// normalized: ONNX's reference coefficients); Resize-19 adds coordinate mode half_pixel_symmetric.
//
// prepare builds, for every axis, a table of input offsets and weights for each output coordinate
// (1 tap for nearest or identity axes, 2 for linear, 4 for cubic); run only walks those tables.
// Upsampling interpolates each input row along the last axis once, then blends whole rows.
//
// uint8/int8 input, linear mode (not antialias), repeats ONNX Runtime 1.30's arithmetic (resize_linear8.hpp):
// bilinear for 2-D input and 4-D NCHW scales [1, 1, h, w], trilinear for 3-D and 5-D [1, 1, d, h, w], 10-bit
// fixed point for 4-D channels-last scales [1, h, w, 1], each truncated toward zero (ORT's static_cast) and
// saturated. Other linear shapes (ORT refuses them) and cubic (ORT 1.30 fails at run time on 8-bit cubic)
// widen the input into scratch, take the float32 path and truncate and saturate the same way.
#include <array>
#include <cmath>
#include <limits>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"
#include "kernels/cpu/resize_linear8.hpp"

namespace edgeinfer::kernels::cpu {

namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class CoordMode {
    kHalfPixel,
    kPytorchHalfPixel,
    kAlignCorners,
    kAsymmetric,
    kTfHalfPixelForNn,
    kTfCropAndResize,
    kHalfPixelSymmetric
};
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };
// kSimple is the pre-opset-11 rule: floor when upsampling, ceil when downsampling.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };
// Where the scales / sizes come from.
enum class Variant { kUpsampleAttr, kScalesInput1, kResize11 };

constexpr size_t kMaxRank = 8;
constexpr size_t kMaxCombos = 1024;  // product of the taps of all axes but the last

struct ResizeAttrs {
    Variant variant = Variant::kResize11;
    Mode mode = Mode::kNearest;
    CoordMode coord = CoordMode::kHalfPixel;
    NearestMode nearest = NearestMode::kRoundPreferFloor;
    double cubic_a = -0.75;
    bool exclude_outside = false;
    float extrapolation = 0.0f;
    std::vector<float> attr_scales;  // Upsample opset 7-8
    // Resize-18.
    bool antialias = false;
    std::vector<int64_t> axes;  // empty: all
    AspectPolicy policy = AspectPolicy::kStretch;
};

// Interpolation table of one axis: output coordinate o reads taps input offsets off[o*taps + t]
// (already multiplied by the input stride) with weights w[o*taps + t].
struct AxisTable {
    int taps = 1;
    std::vector<int64_t> off;
    std::vector<float> w;
    std::vector<uint8_t> outside;  // tf_crop_and_resize: coordinate falls outside the input
};

struct ResizeState : KernelState {
    std::vector<int64_t> out_dims;
    std::vector<AxisTable> axes;
    bool nearest_only = true;  // every axis has one tap of weight 1
    bool any_outside = false;
    float extrapolation = 0.0f;
    // Separable path: blend the input rows of the leading axes into one row of in_width floats
    // (per slot, in scratch), then interpolate that row along the last axis.
    bool two_pass = false;
    int64_t in_width = 0;
    int64_t slots = 1;
    int64_t slot_floats = 0;
    // Rows-first path (upsampling the leading axes): interpolate every input row along the last
    // axis once into scratch (in_rows x out width), then blend those rows per output row with
    // contiguous, vectorizable loops instead of re-gathering the same input rows again and again.
    bool rows_first = false;
    int64_t in_rows = 0;
    // uint8/int8 linear or cubic: float32 copies of the input and output in scratch, after the float path's.
    bool widen = false;
    size_t in_f32_off = 0, out_f32_off = 0;
    // uint8/int8 linear in ONNX Runtime's arithmetic (kernels/cpu/resize_linear8.hpp); used when it has axes.
    Linear8Plan ort8;
};

Result<Mode> parse_mode(const std::string& s) {
    if (s == "nearest") return Mode::kNearest;
    if (s == "linear" || s == "bilinear") return Mode::kLinear;
    if (s == "cubic") return Mode::kCubic;
    return invalid_model("mode '" + s + "' is not nearest, linear or cubic");
}

Result<CoordMode> parse_coord(const std::string& s) {
    if (s == "half_pixel") return CoordMode::kHalfPixel;
    if (s == "pytorch_half_pixel") return CoordMode::kPytorchHalfPixel;
    if (s == "align_corners") return CoordMode::kAlignCorners;
    if (s == "asymmetric") return CoordMode::kAsymmetric;
    if (s == "tf_half_pixel_for_nn") return CoordMode::kTfHalfPixelForNn;
    if (s == "tf_crop_and_resize") return CoordMode::kTfCropAndResize;
    if (s == "half_pixel_symmetric") return CoordMode::kHalfPixelSymmetric;
    return invalid_model("coordinate_transformation_mode '" + s + "' is unknown");
}

Result<NearestMode> parse_nearest(const std::string& s) {
    if (s == "round_prefer_floor") return NearestMode::kRoundPreferFloor;
    if (s == "round_prefer_ceil") return NearestMode::kRoundPreferCeil;
    if (s == "floor") return NearestMode::kFloor;
    if (s == "ceil") return NearestMode::kCeil;
    return invalid_model("nearest_mode '" + s + "' is unknown");
}

Result<ResizeAttrs> read_attrs(const CreateContext& ctx, Variant variant) {
    const ir::Node& n = ctx.node;
    ResizeAttrs a;
    a.variant = variant;
    auto mode = parse_mode(n.attr_string("mode", "nearest"));
    if (!mode) return ctx.invalid(mode.status().message());
    a.mode = *mode;
    if (variant != Variant::kResize11) {
        if (a.mode == Mode::kCubic) return ctx.invalid("mode 'cubic' needs Resize opset 11 or later");
        a.coord = CoordMode::kAsymmetric;
        a.nearest = NearestMode::kSimple;
        if (variant == Variant::kUpsampleAttr) {
            a.attr_scales = n.attr_floats("scales");
            if (a.attr_scales.empty())  // some exporters write whole-number scales as ints
                for (int64_t v : n.attr_ints("scales")) a.attr_scales.push_back(static_cast<float>(v));
            if (a.attr_scales.empty()) return ctx.invalid("attribute 'scales' is missing");
        }
        return a;
    }
    auto coord = parse_coord(n.attr_string("coordinate_transformation_mode", "half_pixel"));
    if (!coord) return ctx.invalid(coord.status().message());
    a.coord = *coord;
    auto nearest = parse_nearest(n.attr_string("nearest_mode", "round_prefer_floor"));
    if (!nearest) return ctx.invalid(nearest.status().message());
    a.nearest = *nearest;
    a.cubic_a = n.attr_float("cubic_coeff_a", -0.75f);
    a.exclude_outside = n.attr_int("exclude_outside", 0) != 0;
    a.extrapolation = n.attr_float("extrapolation_value", 0.0f);
    if (a.coord == CoordMode::kHalfPixelSymmetric && ctx.opset < 19)
        return ctx.invalid("coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19");
    if (ctx.opset >= 18) {
        const int64_t antialias = n.attr_int("antialias", 0);
        if (antialias != 0 && antialias != 1)
            return ctx.invalid("antialias must be 0 or 1, got " + std::to_string(antialias));
        a.antialias = antialias == 1;
        a.axes = n.attr_ints("axes");
        const std::string policy = n.attr_string("keep_aspect_ratio_policy", "stretch");
        if (policy == "stretch")
            a.policy = AspectPolicy::kStretch;
        else if (policy == "not_larger")
            a.policy = AspectPolicy::kNotLarger;
        else if (policy == "not_smaller")
            a.policy = AspectPolicy::kNotSmaller;
        else
            return ctx.invalid("keep_aspect_ratio_policy '" + policy + "' is not stretch, not_larger or not_smaller");
    }
    return a;
}

// Input coordinate of output coordinate x along one axis (ONNX Resize formulas). `len_out` is
// scale * len_in as a real number, as the ONNX reference uses it.
double original_coord(const ResizeAttrs& a, double x, double scale, int64_t len_in, int64_t len_out_int,
                      double roi_start, double roi_end) {
    double len_out = scale * static_cast<double>(len_in);
    switch (a.coord) {
        case CoordMode::kHalfPixel:
            return (x + 0.5) / scale - 0.5;
        case CoordMode::kHalfPixelSymmetric: {
            const double adjustment = static_cast<double>(len_out_int) / len_out;
            const double offset = static_cast<double>(len_in) / 2 * (1 - adjustment);
            return offset + (x + 0.5) / scale - 0.5;
        }
        case CoordMode::kPytorchHalfPixel:
            return len_out > 1.0 ? (x + 0.5) / scale - 0.5 : 0.0;
        case CoordMode::kAlignCorners:
            return len_out == 1.0 ? 0.0 : x * static_cast<double>(len_in - 1) / (len_out - 1.0);
        case CoordMode::kAsymmetric:
            return x / scale;
        case CoordMode::kTfHalfPixelForNn:
            return (x + 0.5) / scale;
        case CoordMode::kTfCropAndResize: {
            double span = (roi_end - roi_start) * static_cast<double>(len_in - 1);
            double v = len_out == 1.0 ? span / 2.0 : x * span / (len_out - 1.0);
            return v + roi_start * static_cast<double>(len_in - 1);
        }
    }
    return x;
}

int64_t nearest_index(NearestMode m, double x, double scale) {
    if (x == std::floor(x)) return static_cast<int64_t>(x);
    switch (m) {
        case NearestMode::kRoundPreferFloor:
            return static_cast<int64_t>(std::ceil(x - 0.5));
        case NearestMode::kRoundPreferCeil:
            return static_cast<int64_t>(std::floor(x + 0.5));
        case NearestMode::kFloor:
            return static_cast<int64_t>(std::floor(x));
        case NearestMode::kCeil:
            return static_cast<int64_t>(std::ceil(x));
        case NearestMode::kSimple:
            return scale < 1.0 ? static_cast<int64_t>(std::ceil(x)) : static_cast<int64_t>(std::floor(x));
    }
    return 0;
}

// Cubic convolution weights of the 4 taps floor(x)-1 .. floor(x)+2 for fractional part r.
void cubic_weights(double r, double A, double w[4]) {
    auto near = [A](double d) { return ((A + 2) * d - (A + 3)) * d * d + 1; };       // |d| <= 1
    auto far = [A](double d) { return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A; };  // 1 < |d| < 2
    w[0] = far(r + 1);
    w[1] = near(r);
    w[2] = near(1 - r);
    w[3] = far(2 - r);
}

// Antialiased downsampling (Resize-18, scale < 1) as ONNX's reference computes it: the linear (triangle)
// or cubic filter stretched by 1/scale, taps base + start + k around base = ceil(x) - 1 (so the fraction
// lies in (0, 1]), weights normalized to sum 1; taps outside the input read the edge, or are dropped
// (and the rest renormalized) with exclude_outside.
AxisTable build_antialias_axis(const ResizeAttrs& a, int64_t len_in, int64_t len_out, double scale, int64_t stride,
                               double roi_start, double roi_end) {
    const bool linear = a.mode == Mode::kLinear;
    const auto start = static_cast<int64_t>(std::floor((linear ? -1.0 : -2.0) / scale) + 1);
    const int64_t taps = 2 - 2 * start;
    AxisTable t;
    t.taps = static_cast<int>(taps);
    t.off.assign(static_cast<size_t>(len_out * taps), 0);
    t.w.assign(static_cast<size_t>(len_out * taps), 0.0f);
    t.outside.assign(static_cast<size_t>(len_out), 0);
    std::vector<double> wd(static_cast<size_t>(taps));
    const double A = a.cubic_a;
    for (int64_t o = 0; o < len_out; ++o) {
        const double x = original_coord(a, static_cast<double>(o), scale, len_in, len_out, roi_start, roi_end);
        if (a.coord == CoordMode::kTfCropAndResize && (x < 0.0 || x > static_cast<double>(len_in - 1)))
            t.outside[o] = 1;
        const double base = std::ceil(x) - 1;
        const double ratio = x - base;
        double sum = 0.0;
        for (int64_t k = 0; k < taps; ++k) {
            const double d = std::fabs((static_cast<double>(start + k) - ratio) * scale);
            double w;
            if (linear)
                w = std::max(0.0, 1.0 - d);
            else if (d <= 1.0)
                w = ((A + 2) * d - (A + 3)) * d * d + 1;
            else if (d < 2.0)
                w = ((A * d - 5 * A) * d + 8 * A) * d - 4 * A;
            else
                w = 0.0;
            const int64_t idx = static_cast<int64_t>(base) + start + k;
            if (a.exclude_outside && (idx < 0 || idx >= len_in)) w = 0.0;
            wd[static_cast<size_t>(k)] = w;
            sum += w;
        }
        for (int64_t k = 0; k < taps; ++k) {
            const int64_t idx = std::clamp<int64_t>(static_cast<int64_t>(base) + start + k, 0, len_in - 1);
            t.off[o * taps + k] = idx * stride;
            t.w[o * taps + k] = static_cast<float>(sum != 0.0 ? wd[static_cast<size_t>(k)] / sum : 0.0);
        }
    }
    return t;
}

AxisTable build_axis(const ResizeAttrs& a, int64_t len_in, int64_t len_out, double scale, int64_t stride,
                     double roi_start, double roi_end) {
    if (a.antialias && a.mode != Mode::kNearest && scale < 1.0 && len_in > 0)
        return build_antialias_axis(a, len_in, len_out, scale, stride, roi_start, roi_end);
    AxisTable t;
    int taps = a.mode == Mode::kNearest ? 1 : (a.mode == Mode::kLinear ? 2 : 4);
    t.taps = taps;
    t.off.assign(static_cast<size_t>(len_out * taps), 0);
    t.w.assign(static_cast<size_t>(len_out * taps), 0.0f);
    t.outside.assign(static_cast<size_t>(len_out), 0);
    auto clamp = [len_in](int64_t i) { return std::min(std::max<int64_t>(i, 0), len_in - 1); };
    bool single = true;  // every coordinate reads exactly one input with weight 1
    for (int64_t o = 0; o < len_out; ++o) {
        double x = original_coord(a, static_cast<double>(o), scale, len_in, len_out, roi_start, roi_end);
        if (a.coord == CoordMode::kTfCropAndResize && (x < 0.0 || x > static_cast<double>(len_in - 1)))
            t.outside[o] = 1;
        int64_t* off = &t.off[o * taps];
        float* w = &t.w[o * taps];
        if (a.mode == Mode::kNearest) {
            off[0] = clamp(nearest_index(a.nearest, x, scale)) * stride;
            w[0] = 1.0f;
            continue;
        }
        double base = std::floor(x);
        double r = x - base;
        auto i0 = static_cast<int64_t>(base);
        double wd[4];
        int64_t idx[4];
        if (a.mode == Mode::kLinear) {
            wd[0] = 1.0 - r;
            wd[1] = r;
            idx[0] = i0;
            idx[1] = i0 + 1;
        } else {
            cubic_weights(r, a.cubic_a, wd);
            for (int k = 0; k < 4; ++k) idx[k] = i0 - 1 + k;
            if (a.exclude_outside) {
                double sum = 0.0;
                for (int k = 0; k < 4; ++k) {
                    if (idx[k] < 0 || idx[k] >= len_in) wd[k] = 0.0;
                    sum += wd[k];
                }
                if (sum != 0.0)
                    for (double& v : wd) v /= sum;
            }
        }
        int nonzero = 0;
        for (int k = 0; k < taps; ++k) {
            off[k] = clamp(idx[k]) * stride;
            w[k] = static_cast<float>(wd[k]);
            if (wd[k] != 0.0) nonzero += wd[k] == 1.0 ? 1 : 2;
        }
        if (nonzero != 1) single = false;
    }
    if (single && taps > 1) {  // identity-like axis: keep the one tap of weight 1
        AxisTable s;
        s.taps = 1;
        s.off.resize(static_cast<size_t>(len_out));
        s.w.assign(static_cast<size_t>(len_out), 1.0f);
        s.outside = std::move(t.outside);
        for (int64_t o = 0; o < len_out; ++o)
            for (int k = 0; k < taps; ++k)
                if (t.w[o * taps + k] == 1.0f) s.off[o] = t.off[o * taps + k];
        return s;
    }
    return t;
}

// Reads a float or double 1-D tensor as doubles.
bool read_real_values(const Tensor& t, std::vector<double>& out) {
    out.resize(static_cast<size_t>(t.numel()));
    if (t.dtype() == DataType::kFloat32) {
        for (int64_t i = 0; i < t.numel(); ++i) out[i] = t.data_as<float>()[i];
        return true;
    }
    if (t.dtype() == DataType::kFloat64) {
        for (int64_t i = 0; i < t.numel(); ++i) out[i] = t.data_as<double>()[i];
        return true;
    }
    return false;
}

// Walks output rows (all axes but the last) of [begin, end): for each row, calls
// fn(row, combos, n_combos, outside) with the (offset, weight) pairs of the leading axes.
struct Combo {
    int64_t off;
    float w;
};

template <typename F>
void for_each_row(const ResizeState& s, int64_t begin, int64_t end, F&& fn) {
    size_t r = s.out_dims.size();
    std::array<int64_t, kMaxRank> coord{};
    int64_t rem = begin;
    for (size_t a = r - 1; a-- > 0;) {
        coord[a] = rem % s.out_dims[a];
        rem /= s.out_dims[a];
    }
    std::array<Combo, kMaxCombos> buf_a;
    std::array<Combo, kMaxCombos> buf_b;
    for (int64_t row = begin; row < end; ++row) {
        Combo* cur = buf_a.data();
        Combo* nxt = buf_b.data();
        size_t n = 1;
        cur[0] = {0, 1.0f};
        bool outside = false;
        for (size_t a = 0; a + 1 < r; ++a) {
            const AxisTable& t = s.axes[a];
            int64_t o = coord[a];
            if (t.outside[o]) outside = true;
            if (t.taps == 1) {
                int64_t d = t.off[o];
                for (size_t c = 0; c < n; ++c) cur[c].off += d;
                continue;
            }
            size_t m = 0;
            for (size_t c = 0; c < n; ++c)
                for (int k = 0; k < t.taps; ++k) {
                    float w = t.w[o * t.taps + k];
                    if (w == 0.0f) continue;
                    nxt[m++] = {cur[c].off + t.off[o * t.taps + k], cur[c].w * w};
                }
            std::swap(cur, nxt);
            n = m;
        }
        fn(row, cur, n, outside);
        for (size_t a = r - 1; a-- > 0;) {
            if (++coord[a] < s.out_dims[a]) break;
            coord[a] = 0;
        }
    }
}

// One tap per axis: a gather. Works for any element type of that size.
template <typename T>
void run_nearest(const ResizeState& s, const T* in, T* out, T extrapolation) {
    int64_t width = s.out_dims.back();
    int64_t rows = shape_numel(s.out_dims) / width;
    const AxisTable& last = s.axes.back();
    parallel_for(
        rows,
        [&](int64_t b, int64_t e) {
            for_each_row(s, b, e, [&](int64_t row, const Combo* combos, size_t, bool outside) {
                T* dst = out + row * width;
                const T* src = in + combos[0].off;
                if (outside) {
                    std::fill(dst, dst + width, extrapolation);
                } else if (!s.any_outside) {
                    for (int64_t x = 0; x < width; ++x) dst[x] = src[last.off[x]];
                } else {
                    for (int64_t x = 0; x < width; ++x) dst[x] = last.outside[x] ? extrapolation : src[last.off[x]];
                }
            });
        },
        std::max<int64_t>(1, 16384 / width));
}

// dst[x] = sum over the last axis' taps of src; taps fixed at compile time so the loop unrolls.
template <int kTaps>
void interpolate_row(const AxisTable& last, const float* src, float* dst, int64_t width, float extrapolation) {
    const int64_t* off = last.off.data();
    const float* w = last.w.data();
    const uint8_t* outside = last.outside.data();
    for (int64_t x = 0; x < width; ++x) {
        float v = 0.0f;
        for (int k = 0; k < kTaps; ++k) v += w[x * kTaps + k] * src[off[x * kTaps + k]];
        dst[x] = outside[x] ? extrapolation : v;
    }
}

// interpolate_row for the tap count of `last` (antialiased axes have any number).
void interpolate_any(const AxisTable& last, const float* src, float* dst, int64_t width, float extrapolation) {
    switch (last.taps) {
        case 1:
            interpolate_row<1>(last, src, dst, width, extrapolation);
            return;
        case 2:
            interpolate_row<2>(last, src, dst, width, extrapolation);
            return;
        case 4:
            interpolate_row<4>(last, src, dst, width, extrapolation);
            return;
        default:
            break;
    }
    const int taps = last.taps;
    for (int64_t x = 0; x < width; ++x) {
        float v = 0.0f;
        for (int k = 0; k < taps; ++k) v += last.w[x * taps + k] * src[last.off[x * taps + k]];
        dst[x] = last.outside[x] ? extrapolation : v;
    }
}

// The separable path: see ResizeState::two_pass.
void run_two_pass(const ResizeState& s, const float* in, float* out, float* scratch) {
    int64_t width = s.out_dims.back();
    int64_t rows = shape_numel(s.out_dims) / width;
    const AxisTable& last = s.axes.back();
    const int64_t w_in = s.in_width;
    parallel_for(
        s.slots,
        [&](int64_t slot_begin, int64_t slot_end) {
            for (int64_t slot = slot_begin; slot < slot_end; ++slot) {
                float* tmp = scratch + slot * s.slot_floats;
                int64_t r0 = rows * slot / s.slots, r1 = rows * (slot + 1) / s.slots;
                for_each_row(s, r0, r1, [&](int64_t row, const Combo* combos, size_t n, bool outside) {
                    float* dst = out + row * width;
                    if (outside) {
                        std::fill(dst, dst + width, s.extrapolation);
                        return;
                    }
                    const float* src = in + combos[0].off;
                    if (n > 1 || combos[0].w != 1.0f) {
                        float w0 = combos[0].w;
                        for (int64_t i = 0; i < w_in; ++i) tmp[i] = w0 * src[i];
                        for (size_t c = 1; c < n; ++c) {
                            const float* sc = in + combos[c].off;
                            float wc = combos[c].w;
                            for (int64_t i = 0; i < w_in; ++i) tmp[i] += wc * sc[i];
                        }
                        src = tmp;
                    }
                    interpolate_any(last, src, dst, width, s.extrapolation);
                });
            }
        },
        1);
}

// The rows-first path: see ResizeState::rows_first.
void run_rows_first(const ResizeState& s, const float* in, float* out, float* rows_out) {
    const int64_t width = s.out_dims.back();
    const int64_t rows = shape_numel(s.out_dims) / width;
    const int64_t w_in = s.in_width;
    const AxisTable& last = s.axes.back();
    const int64_t grain = std::max<int64_t>(1, 16384 / width);
    parallel_for(
        s.in_rows,
        [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) {
                const float* src = in + r * w_in;
                float* dst = rows_out + r * width;
                interpolate_any(last, src, dst, width, 0.0f);
            }
        },
        grain);
    parallel_for(
        rows,
        [&](int64_t b, int64_t e) {
            for_each_row(s, b, e, [&](int64_t row, const Combo* combos, size_t n, bool) {
                float* dst = out + row * width;
                if (n == 0) {  // every weight of some axis is zero
                    std::fill(dst, dst + width, 0.0f);
                    return;
                }
                const float* h0 = rows_out + combos[0].off / w_in * width;
                const float w0 = combos[0].w;
                if (n == 2) {  // the common bilinear case in one pass
                    const float* h1 = rows_out + combos[1].off / w_in * width;
                    const float w1 = combos[1].w;
                    for (int64_t x = 0; x < width; ++x) dst[x] = w0 * h0[x] + w1 * h1[x];
                    return;
                }
                for (int64_t x = 0; x < width; ++x) dst[x] = w0 * h0[x];
                for (size_t c = 1; c < n; ++c) {
                    const float* hc = rows_out + combos[c].off / w_in * width;
                    const float wc = combos[c].w;
                    for (int64_t x = 0; x < width; ++x) dst[x] += wc * hc[x];
                }
            });
        },
        grain);
}

void run_interpolate(const ResizeState& s, const float* in, float* out);

// ONNX Runtime's input coordinate (float32 arithmetic, its get_original_coordinate).
float ort_original(CoordMode m, float x, float scale, float len_out, float len_in, float roi_s, float roi_e) {
    switch (m) {
        case CoordMode::kAsymmetric:
            return x / scale;
        case CoordMode::kPytorchHalfPixel:
            return len_out > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
        case CoordMode::kTfHalfPixelForNn:
            return (x + 0.5f) / scale;
        case CoordMode::kAlignCorners:
            return len_out == 1 ? 0.0f : x * (len_in - 1) / (len_out - 1);
        case CoordMode::kTfCropAndResize:
            return static_cast<float>(len_out > 1
                                          ? roi_s * (len_in - 1) + (x * (roi_e - roi_s) * (len_in - 1)) / (len_out - 1)
                                          : 0.5 * (roi_s + roi_e) * (len_in - 1));
        case CoordMode::kHalfPixelSymmetric: {
            const float adjustment = len_out / (scale * len_in);
            const float offset = len_in / 2 * (1 - adjustment);
            return static_cast<float>(offset + (x + 0.5) / scale - 0.5);
        }
        default:
            return ((x + 0.5f) / scale) - 0.5f;
    }
}

// Linear or cubic interpolation of float32 `in` into `out` on the path prepare chose.
void run_float(const ResizeState& s, const float* in, float* out, float* scratch) {
    if (s.rows_first)
        run_rows_first(s, in, out, scratch);
    else if (s.two_pass)
        run_two_pass(s, in, out, scratch);
    else
        run_interpolate(s, in, out);
}

// 8-bit input through the float32 path: widen, interpolate, then truncate toward zero and saturate (NaN, from a
// NaN extrapolation_value, gives 0).
template <typename T>
void run_widened(const ResizeState& s, const T* in, int64_t n_in, T* out, int64_t n_out, float* in_f, float* out_f,
                 float* scratch) {
    parallel_for(n_in, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) in_f[i] = static_cast<float>(in[i]);
    });
    run_float(s, in_f, out_f, scratch);
    parallel_for(n_out, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) out[i] = trunc_saturate<T>(out_f[i]);
    });
}

void run_interpolate(const ResizeState& s, const float* in, float* out) {
    int64_t width = s.out_dims.back();
    int64_t rows = shape_numel(s.out_dims) / width;
    const AxisTable& last = s.axes.back();
    const int taps = last.taps;
    parallel_for(
        rows,
        [&](int64_t b, int64_t e) {
            for_each_row(s, b, e, [&](int64_t row, const Combo* combos, size_t n, bool outside) {
                float* dst = out + row * width;
                if (outside) {
                    std::fill(dst, dst + width, s.extrapolation);
                    return;
                }
                if (n == 1 && combos[0].w == 1.0f) {  // only the last axis interpolates
                    const float* src = in + combos[0].off;
                    interpolate_any(last, src, dst, width, s.extrapolation);
                    return;
                }
                for (int64_t x = 0; x < width; ++x) {
                    if (last.outside[x]) {
                        dst[x] = s.extrapolation;
                        continue;
                    }
                    const int64_t* off = &last.off[x * taps];
                    const float* w = &last.w[x * taps];
                    float acc = 0.0f;
                    for (size_t c = 0; c < n; ++c) {
                        const float* src = in + combos[c].off;
                        float v = 0.0f;
                        for (int k = 0; k < taps; ++k) v += w[k] * src[off[k]];
                        acc += combos[c].w * v;
                    }
                    dst[x] = acc;
                }
            });
        },
        std::max<int64_t>(1, 4096 / width));
}

class Resize final : public Kernel {
  public:
    explicit Resize(ResizeAttrs attrs) : a_(std::move(attrs)) {}

    Status prepare(PrepareContext& ctx) const override {
        const std::vector<int64_t>& in_dims = ctx.input(0).dims;
        size_t r = in_dims.size();
        if (r == 0 || r > kMaxRank) return ctx.invalid("input rank " + std::to_string(r) + " is not in [1, 8]");
        const DataType dtype = ctx.input(0).dtype;
        const bool eight_bit = dtype == DataType::kUInt8 || dtype == DataType::kInt8;
        if (a_.mode != Mode::kNearest && dtype != DataType::kFloat32) {
            if (!eight_bit)
                return ctx.unsupported_here("linear and cubic modes need float32, uint8 or int8 input, got " +
                                            std::string(dtype_name(dtype)));
            if (a_.antialias)
                return ctx.unsupported_here("antialias needs float32 input, got " + std::string(dtype_name(dtype)));
        }
        std::vector<double> scales;
        std::vector<int64_t> out_dims(r);
        std::vector<double> roi;
        EDGEINFER_RETURN_IF_ERROR(read_targets(ctx, scales, out_dims, roi));
        if (ctx.deferred()) return Status::ok();
        if (scales.size() != r)
            return ctx.invalid("scales has " + std::to_string(scales.size()) + " values, input rank is " +
                               std::to_string(r));
        for (size_t i = 0; i < r; ++i)
            if (!(scales[i] > 0.0)) return ctx.invalid("scale " + std::to_string(scales[i]) + " is not positive");
        if (a_.coord == CoordMode::kTfCropAndResize && roi.size() != 2 * r)
            return ctx.invalid("roi has " + std::to_string(roi.size()) + " values, expected " + std::to_string(2 * r));

        auto state = std::make_unique<ResizeState>();
        state->out_dims = out_dims;
        state->extrapolation = a_.extrapolation;
        std::vector<int64_t> strides = strides_of(in_dims);
        size_t combos = 1;
        for (size_t i = 0; i < r; ++i) {
            double rs = roi.empty() ? 0.0 : roi[i];
            double re = roi.empty() ? 1.0 : roi[r + i];
            state->axes.push_back(build_axis(a_, in_dims[i], out_dims[i], scales[i], strides[i], rs, re));
            const AxisTable& t = state->axes.back();
            if (t.taps != 1) state->nearest_only = false;
            if (i + 1 < r) combos *= static_cast<size_t>(t.taps);
            for (uint8_t o : t.outside) state->any_outside |= o != 0;
        }
        if (combos > kMaxCombos)
            return ctx.unsupported_here("interpolating over " + std::to_string(r) + " axes is not supported");
        // Blending whole input rows first pays off when it replaces enough per-output taps.
        size_t float_scratch = 0;
        auto taps_last = static_cast<int64_t>(state->axes.back().taps);
        auto n = static_cast<int64_t>(combos);
        int64_t w_in = in_dims.back(), w_out = out_dims.back();
        const int64_t in_rows = w_in == 0 ? 0 : shape_numel(in_dims) / w_in;
        const int64_t out_rows = w_out == 0 ? 0 : shape_numel(out_dims) / w_out;
        if (!state->nearest_only && !state->any_outside && n > 1 && in_rows > 0 && 2 * in_rows <= out_rows &&
            in_rows * w_out <= (int64_t{64} << 20) / static_cast<int64_t>(sizeof(float))) {
            // Upsampling the leading axes: each interpolated input row serves several output rows
            // (scratch capped at 64 MiB; larger ones take the paths below).
            state->rows_first = true;
            state->in_width = w_in;
            state->in_rows = in_rows;
            float_scratch = static_cast<size_t>(in_rows * w_out) * sizeof(float);
        } else if (!state->nearest_only && n > 1 && n * w_in + taps_last * w_out < n * taps_last * w_out) {
            int64_t rows = w_out == 0 ? 0 : shape_numel(out_dims) / w_out;
            state->two_pass = true;
            state->in_width = w_in;
            state->slots = std::clamp<int64_t>(shape_numel(out_dims) / 16384, 1, std::max<int64_t>(1, rows));
            state->slots = std::min<int64_t>(state->slots, omp_get_max_threads());
            state->slot_floats = (w_in + 15) / 16 * 16;
            float_scratch = static_cast<size_t>(state->slots * state->slot_floats) * sizeof(float);
        }
        if (!state->nearest_only && eight_bit && a_.mode == Mode::kLinear)
            state->ort8 = ort8_plan(in_dims, out_dims, scales, roi);
        ScratchLayout layout;
        if (state->ort8.axes.empty()) layout.add(float_scratch);
        if (!state->nearest_only && eight_bit && state->ort8.axes.empty()) {
            state->widen = true;
            state->in_f32_off = layout.add(static_cast<size_t>(shape_numel(in_dims)) * sizeof(float));
            state->out_f32_off = layout.add(static_cast<size_t>(shape_numel(out_dims)) * sizeof(float));
        }
        if (layout.total() > 0) ctx.request_scratch(layout.total());
        ctx.set_output(0, ctx.input(0).dtype, out_dims);
        ctx.set_state(std::move(state));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& s = ctx.state_as<ResizeState>();
        Tensor& out = ctx.out(0);
        if (out.numel() == 0) return Status::ok();
        const Tensor& in = ctx.in(0);
        if (!s.ort8.axes.empty()) {
            const bool extrapolate = a_.coord == CoordMode::kTfCropAndResize;
            if (in.dtype() == DataType::kUInt8)
                run_linear8(s.ort8, in.data_as<uint8_t>(), out.data_as<uint8_t>(), a_.extrapolation, extrapolate);
            else
                run_linear8(s.ort8, in.data_as<int8_t>(), out.data_as<int8_t>(), a_.extrapolation, extrapolate);
            return Status::ok();
        }
        if (s.widen) {
            auto* in_f = static_cast<float*>(ScratchLayout::at(ctx.scratch, s.in_f32_off));
            auto* out_f = static_cast<float*>(ScratchLayout::at(ctx.scratch, s.out_f32_off));
            if (in.dtype() == DataType::kUInt8)
                run_widened(s, in.data_as<uint8_t>(), in.numel(), out.data_as<uint8_t>(), out.numel(), in_f, out_f,
                            static_cast<float*>(ctx.scratch));
            else
                run_widened(s, in.data_as<int8_t>(), in.numel(), out.data_as<int8_t>(), out.numel(), in_f, out_f,
                            static_cast<float*>(ctx.scratch));
            return Status::ok();
        }
        if (!s.nearest_only) {
            run_float(s, in.data_as<float>(), out.data_as<float>(), static_cast<float*>(ctx.scratch));
            return Status::ok();
        }
        bool ok = dispatch_numeric(in.dtype(), [&](auto v) {
            using T = decltype(v);
            run_nearest<T>(s, in.data_as<T>(), out.data_as<T>(), static_cast<T>(s.extrapolation));
        });
        if (!ok) return ctx.error(StatusCode::kUnsupported, "input type is not supported");
        return Status::ok();
    }

  private:
    // ONNX Runtime's 8-bit linear layouts (see the top of the file); no axes when the shape is none of them.
    Linear8Plan ort8_plan(const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                          const std::vector<double>& scales, const std::vector<double>& roi) const {
        const size_t r = in.size();
        Linear8Plan p;
        // ORT's float32 scale: the scales input as given, or float(size) / float(input dim) for sizes (a
        // ratio that a float32 does not hold exactly came from sizes).
        auto scale = [&](size_t i) {
            const auto f = static_cast<float>(scales[i]);
            return static_cast<double>(f) == scales[i] ? f : static_cast<float>(out[i]) / static_cast<float>(in[i]);
        };
        auto axis = [&](size_t i, int64_t stride) {
            const float rs = roi.empty() ? 0.0f : static_cast<float>(roi[i]), sc = scale(i);
            const float re = roi.empty() ? 1.0f : static_cast<float>(roi[r + i]);
            const auto len_in = static_cast<float>(in[i]), len_out = static_cast<float>(out[i]);
            p.axes.push_back(linear8_axis(in[i], out[i], stride, [&](float o) {
                return sc == 1 ? o : ort_original(a_.coord, o, sc, len_out, len_in, rs, re);
            }));
        };
        const bool nchw4 = r == 4 && scale(0) == 1 && scale(1) == 1, nhwc4 = r == 4 && scale(0) == 1 && scale(3) == 1;
        const bool ncdhw5 = r == 5 && scale(0) == 1 && scale(1) == 1;
        if (r == 2 || nchw4) {
            p.outer = r == 2 ? 1 : in[0] * in[1];
            axis(r - 2, in[r - 1]);
            axis(r - 1, 1);
            p.in_plane = in[r - 2] * in[r - 1];
        } else if (nhwc4) {
            p.outer = in[0];
            p.channels = in[3];
            p.fixed_point = true;
            axis(1, in[2]);
            axis(2, 1);
            p.in_plane = in[1] * in[2] * in[3];
        } else if (r == 3 || ncdhw5) {
            p.outer = r == 3 ? 1 : in[0] * in[1];
            axis(r - 3, in[r - 2] * in[r - 1]);
            axis(r - 2, in[r - 1]);
            axis(r - 1, 1);
            p.in_plane = in[r - 3] * in[r - 2] * in[r - 1];
        }
        return p;
    }

    // Resolves scales (one per axis), output dims and roi from attributes or input values.
    Status read_targets(PrepareContext& ctx, std::vector<double>& scales, std::vector<int64_t>& out_dims,
                        std::vector<double>& roi) const {
        const std::vector<int64_t>& in_dims = ctx.input(0).dims;
        size_t r = in_dims.size();
        bool use_sizes = false;
        std::vector<int64_t> sizes;
        if (a_.variant == Variant::kUpsampleAttr) {
            scales.assign(a_.attr_scales.begin(), a_.attr_scales.end());
        } else {
            size_t scales_at = a_.variant == Variant::kScalesInput1 ? 1 : 2;
            bool has_sizes = a_.variant == Variant::kResize11 && ctx.has_input(3) && shape_numel(ctx.input(3).dims) > 0;
            bool has_scales = ctx.has_input(scales_at) && shape_numel(ctx.input(scales_at).dims) > 0;
            if (has_sizes) {
                if (has_scales) return ctx.invalid("only one of 'scales' and 'sizes' may be given");
                const Tensor* v = ctx.value(3);
                if (!v) return ctx.defer();
                if (!read_int_values(*v, sizes)) return ctx.invalid("sizes must be int64");
                use_sizes = true;
            } else {
                if (!has_scales) return ctx.invalid("neither 'scales' nor 'sizes' is given");
                const Tensor* v = ctx.value(scales_at);
                if (!v) return ctx.defer();
                if (!read_real_values(*v, scales)) return ctx.invalid("scales must be float32");
            }
            if (a_.variant == Variant::kResize11 && a_.coord == CoordMode::kTfCropAndResize) {
                if (!ctx.has_input(1)) return ctx.invalid("tf_crop_and_resize needs the 'roi' input");
                const Tensor* v = ctx.value(1);
                if (!v) return ctx.defer();
                if (!read_real_values(*v, roi)) return ctx.invalid("roi must be float32 or float64");
            }
        }
        EDGEINFER_RETURN_IF_ERROR(expand_axes(ctx, use_sizes ? nullptr : &scales, use_sizes ? &sizes : nullptr, roi));
        if (use_sizes && sizes.size() != r)
            return ctx.invalid("sizes has " + std::to_string(sizes.size()) + " values, input rank is " +
                               std::to_string(r));
        if (use_sizes) {
            scales.resize(r);
            for (size_t i = 0; i < r; ++i) {
                if (sizes[i] < 0) return ctx.invalid("sizes[" + std::to_string(i) + "] is negative");
                out_dims[i] = sizes[i];
                scales[i] = in_dims[i] == 0 ? 1.0 : static_cast<double>(sizes[i]) / static_cast<double>(in_dims[i]);
            }
            if (a_.policy != AspectPolicy::kStretch) {
                // One scale for every resized axis; the others keep theirs (1).
                std::vector<bool> listed(r, a_.axes.empty());
                for (int64_t ax : a_.axes) listed[static_cast<size_t>(ax < 0 ? ax + int64_t(r) : ax)] = true;
                double common = a_.policy == AspectPolicy::kNotLarger ? 1e300 : 0.0;
                for (size_t i = 0; i < r; ++i)
                    if (listed[i])
                        common = a_.policy == AspectPolicy::kNotLarger ? std::min(common, scales[i])
                                                                       : std::max(common, scales[i]);
                for (size_t i = 0; i < r; ++i)
                    if (listed[i]) {
                        scales[i] = common;
                        out_dims[i] = static_cast<int64_t>(std::floor(common * static_cast<double>(in_dims[i]) + 0.5));
                    }
            }
        } else if (scales.size() == r) {
            for (size_t i = 0; i < r; ++i)
                out_dims[i] = static_cast<int64_t>(std::floor(scales[i] * static_cast<double>(in_dims[i])));
        }
        return Status::ok();
    }

    // Resize-18's axes: scales, sizes and roi name only the listed axes; the others keep scale 1, their
    // size and roi [0, 1].
    Status expand_axes(const PrepareContext& ctx, std::vector<double>* scales, std::vector<int64_t>* sizes,
                       std::vector<double>& roi) const {
        if (a_.axes.empty()) return Status::ok();
        const std::vector<int64_t>& in_dims = ctx.input(0).dims;
        const auto r = static_cast<int64_t>(in_dims.size());
        const size_t n = a_.axes.size();
        std::vector<bool> seen(static_cast<size_t>(r), false);
        std::vector<size_t> axes;
        for (int64_t ax : a_.axes) {
            int64_t axis = ax;
            if (!normalize_axis(axis, r) || seen[static_cast<size_t>(axis)])
                return ctx.invalid("axes has " + std::to_string(ax) + ", out of range or repeated for rank " +
                                   std::to_string(r));
            seen[static_cast<size_t>(axis)] = true;
            axes.push_back(static_cast<size_t>(axis));
        }
        const size_t given = scales ? scales->size() : sizes->size();
        if (given != n)
            return ctx.invalid(std::string(scales ? "scales" : "sizes") + " has " + std::to_string(given) +
                               " values for " + std::to_string(n) + " axes");
        if (scales) {
            std::vector<double> full(static_cast<size_t>(r), 1.0);
            for (size_t i = 0; i < n; ++i) full[axes[i]] = (*scales)[i];
            *scales = std::move(full);
        } else {
            std::vector<int64_t> full(in_dims);
            for (size_t i = 0; i < n; ++i) full[axes[i]] = (*sizes)[i];
            *sizes = std::move(full);
        }
        if (!roi.empty()) {
            if (roi.size() != 2 * n)
                return ctx.invalid("roi has " + std::to_string(roi.size()) + " values for " + std::to_string(n) +
                                   " axes");
            std::vector<double> full(static_cast<size_t>(2 * r), 0.0);
            std::fill(full.begin() + r, full.end(), 1.0);
            for (size_t i = 0; i < n; ++i) {
                full[axes[i]] = roi[i];
                full[static_cast<size_t>(r) + axes[i]] = roi[n + i];
            }
            roi = std::move(full);
        }
        return Status::ok();
    }

    ResizeAttrs a_;
};

KernelDef resize_def(std::string op, int64_t since, int64_t end, Variant variant) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = end;
    d.factory = [variant](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        EDGEINFER_ASSIGN_OR_RETURN(ResizeAttrs attrs, read_attrs(ctx, variant));
        return std::unique_ptr<Kernel>(new Resize(std::move(attrs)));
    };
    d.supports = [](const CreateContext& ctx) -> std::string {
        DataType t = ctx.input_types.empty() ? DataType::kUndefined : ctx.input_types[0];
        if (t == DataType::kUndefined || t == DataType::kFloat32) return "";
        if (ctx.node.attr_string("mode", "nearest") != "nearest") {
            if (t != DataType::kUInt8 && t != DataType::kInt8)
                return "mode '" + ctx.node.attr_string("mode", "") + "' needs float32, uint8 or int8 input, got " +
                       std::string(dtype_name(t));
            if (ctx.node.attr_int("antialias", 0) != 0)
                return "antialias needs float32 input, got " + std::string(dtype_name(t));
            return "";
        }
        bool known = false;
        dispatch_numeric(t, [&](auto) { known = true; });
        return known ? "" : "input type " + std::string(dtype_name(t)) + " is not supported";
    };
    return d;
}

}  // namespace

void register_resize_kernels(KernelRegistry& registry) {
    registry.add(resize_def("Upsample", 7, 8, Variant::kUpsampleAttr));
    registry.add(resize_def("Upsample", 9, 17, Variant::kScalesInput1));
    registry.add(resize_def("Resize", 10, 10, Variant::kScalesInput1));
    registry.add(resize_def("Resize", 11, 1 << 30, Variant::kResize11));  // 18: axes, antialias, aspect policy
}

}  // namespace edgeinfer::kernels::cpu
