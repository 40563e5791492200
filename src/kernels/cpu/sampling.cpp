// Kernels that sample an NCHW image at fractional positions: GridSample-16 (bilinear, nearest,
// bicubic; zeros, border, reflection padding; align_corners) and RoiAlign-10/16 (avg or max over a
// regular grid of bilinear samples per output bin; output_half_pixel or half_pixel coordinates).
//
// Both follow ONNX Runtime's CPU kernels (which match PyTorch's grid_sample and torchvision's
// roi_align): each output position computes its taps (offsets and weights) once and applies them to
// every channel.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using namespace types;

constexpr int64_t kLatest = 1 << 30;

// ---------------------------------------------------------------------------------------------
// GridSample
enum class GridMode { kBilinear, kNearest, kBicubic };
enum class GridPadding { kZeros, kBorder, kReflection };

// Reflects x into [lo, hi] (as often as needed).
double reflect(double x, double lo, double hi) {
    const double range = hi - lo;
    if (range <= 0) return lo;
    if (x < lo) {
        const double d = lo - x;
        const auto n = static_cast<int64_t>(d / range);
        const double r = d - static_cast<double>(n) * range;
        return n % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        const double d = x - hi;
        const auto n = static_cast<int64_t>(d / range);
        const double r = d - static_cast<double>(n) * range;
        return n % 2 == 0 ? hi - r : lo + r;
    }
    return x;
}

void cubic_coeffs(double t, double c[4]) {
    constexpr double a = -0.75;
    t = std::fabs(t);
    c[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
    c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
    c[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
    c[3] = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
}

class GridSampleKernel final : public Kernel {
  public:
    GridSampleKernel(GridMode mode, GridPadding padding, bool align_corners)
        : mode_(mode), padding_(padding), align_corners_(align_corners) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const TensorDesc& grid = ctx.input(1);
        if (x.dims.size() != 4) return ctx.invalid("X must have shape [N, C, H, W], got " + shape_to_string(x.dims));
        if (grid.dims.size() != 4 || grid.dims[3] != 2 || grid.dims[0] != x.dims[0])
            return ctx.invalid("grid must have shape [" + std::to_string(x.dims[0]) + ", H_out, W_out, 2], got " +
                               shape_to_string(grid.dims));
        if (!dtype_in(x.dtype, kFloats) || grid.dtype != x.dtype)
            return ctx.unsupported_here("X and grid must have the same float type, got " +
                                        std::string(dtype_name(x.dtype)) + " and " +
                                        std::string(dtype_name(grid.dtype)));
        ctx.set_output(0, x.dtype, {x.dims[0], x.dims[1], grid.dims[1], grid.dims[2]});
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        dispatch_types<kFloats>(x.dtype(), [&](auto tag) { run_typed<decltype(tag)>(x, ctx.in(1), y); });
        return Status::ok();
    }

  private:
    // Source coordinate of a normalized grid value in [-1, 1] along an axis of `size` pixels.
    double denormalize(double v, int64_t size) const {
        return align_corners_ ? (v + 1) / 2 * static_cast<double>(size - 1)
                              : ((v + 1) * static_cast<double>(size) - 1) / 2;
    }

    // Index of a tap along an axis after padding; -1 when it reads zero.
    int64_t tap(int64_t i, int64_t size, double lo, double hi) const {
        if (i >= 0 && i < size) return i;
        switch (padding_) {
            case GridPadding::kZeros:
                return -1;
            case GridPadding::kBorder:
                return std::clamp<int64_t>(i, 0, size - 1);
            case GridPadding::kReflection:
                return std::clamp<int64_t>(static_cast<int64_t>(reflect(static_cast<double>(i), lo, hi)), 0, size - 1);
        }
        return -1;
    }

    template <typename T>
    void run_typed(const Tensor& xt, const Tensor& gt, Tensor& yt) const {
        const auto& d = xt.dims();
        const int64_t n_count = d[0], channels = d[1], h = d[2], w = d[3];
        const int64_t ho = gt.dims()[1], wo = gt.dims()[2];
        const T* x = xt.data_as<T>();
        const T* grid = gt.data_as<T>();
        T* y = yt.data_as<T>();
        const double x_lo = align_corners_ ? 0 : -0.5, x_hi = align_corners_ ? double(w - 1) : double(w) - 0.5;
        const double y_lo = align_corners_ ? 0 : -0.5, y_hi = align_corners_ ? double(h - 1) : double(h) - 0.5;
        parallel_for(
            n_count * ho * wo,
            [&](int64_t begin, int64_t end) {
                int64_t offsets[16];
                double weights[16];
                for (int64_t p = begin; p < end; ++p) {
                    const int64_t n = p / (ho * wo), pix = p % (ho * wo);
                    double sx = denormalize(static_cast<double>(load(grid[p * 2])), w);
                    double sy = denormalize(static_cast<double>(load(grid[p * 2 + 1])), h);
                    int taps = 0;
                    auto add = [&](int64_t iy, int64_t ix, double wt) {
                        const int64_t ty = tap(iy, h, y_lo, y_hi), tx = tap(ix, w, x_lo, x_hi);
                        if (ty < 0 || tx < 0) return;
                        offsets[taps] = ty * w + tx;
                        weights[taps++] = wt;
                    };
                    if (mode_ != GridMode::kBicubic) {
                        if (mode_ == GridMode::kNearest) sx = std::nearbyint(sx), sy = std::nearbyint(sy);
                        // Out-of-range coordinates move inside first (PyTorch's compute_source_index).
                        if (padding_ == GridPadding::kBorder) {
                            sx = std::clamp(sx, 0.0, double(w - 1));
                            sy = std::clamp(sy, 0.0, double(h - 1));
                        } else if (padding_ == GridPadding::kReflection) {
                            sx = std::clamp(reflect(sx, x_lo, x_hi), 0.0, double(w - 1));
                            sy = std::clamp(reflect(sy, y_lo, y_hi), 0.0, double(h - 1));
                        }
                    }
                    if (mode_ == GridMode::kNearest) {
                        add(static_cast<int64_t>(sy), static_cast<int64_t>(sx), 1.0);
                    } else if (mode_ == GridMode::kBilinear) {
                        const double fx = std::floor(sx), fy = std::floor(sy);
                        const auto x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
                        const double dx = sx - fx, dy = sy - fy;
                        add(y0, x0, (1 - dy) * (1 - dx));
                        add(y0, x0 + 1, (1 - dy) * dx);
                        add(y0 + 1, x0, dy * (1 - dx));
                        add(y0 + 1, x0 + 1, dy * dx);
                    } else {
                        const double fx = std::floor(sx), fy = std::floor(sy);
                        const auto x0 = static_cast<int64_t>(fx) - 1, y0 = static_cast<int64_t>(fy) - 1;
                        double cx[4], cy[4];
                        cubic_coeffs(sx - fx, cx);
                        cubic_coeffs(sy - fy, cy);
                        for (int i = 0; i < 4; ++i)
                            for (int j = 0; j < 4; ++j) add(y0 + i, x0 + j, cy[i] * cx[j]);
                    }
                    for (int64_t c = 0; c < channels; ++c) {
                        const T* plane = x + (n * channels + c) * h * w;
                        double acc = 0;
                        for (int t = 0; t < taps; ++t) acc += weights[t] * static_cast<double>(load(plane[offsets[t]]));
                        y[(n * channels + c) * ho * wo + pix] = store<T>(acc);
                    }
                }
            },
            std::max<int64_t>(1, 4096 / std::max<int64_t>(channels, 1)));
    }

    GridMode mode_;
    GridPadding padding_;
    bool align_corners_;
};

// ---------------------------------------------------------------------------------------------
// RoiAlign
struct RoiTap {
    int64_t pos[4] = {0, 0, 0, 0};
    double w[4] = {0, 0, 0, 0};
};

class RoiAlignKernel final : public Kernel {
  public:
    RoiAlignKernel(bool max_mode, bool half_pixel, int64_t out_h, int64_t out_w, int64_t sampling_ratio, float scale)
        : max_mode_(max_mode),
          half_pixel_(half_pixel),
          out_h_(out_h),
          out_w_(out_w),
          sampling_ratio_(sampling_ratio),
          scale_(scale) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const TensorDesc& rois = ctx.input(1);
        const TensorDesc& idx = ctx.input(2);
        if (x.dims.size() != 4) return ctx.invalid("X must have shape [N, C, H, W], got " + shape_to_string(x.dims));
        if (rois.dims.size() != 2 || rois.dims[1] != 4)
            return ctx.invalid("rois must have shape [num_rois, 4], got " + shape_to_string(rois.dims));
        if (idx.dims.size() != 1 || idx.dims[0] != rois.dims[0] || idx.dtype != DataType::kInt64)
            return ctx.invalid("batch_indices must be int64 of shape [" + std::to_string(rois.dims[0]) + "], got " +
                               std::string(dtype_name(idx.dtype)) + " " + shape_to_string(idx.dims));
        if (!dtype_in(x.dtype, kFloats) || rois.dtype != x.dtype)
            return ctx.unsupported_here("X and rois must have the same float type, got " +
                                        std::string(dtype_name(x.dtype)) + " and " +
                                        std::string(dtype_name(rois.dtype)));
        ctx.set_output(0, x.dtype, {rois.dims[0], x.dims[1], out_h_, out_w_});
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        const int64_t* batch = ctx.in(2).data_as<int64_t>();
        const int64_t num_rois = ctx.in(1).dims()[0];
        for (int64_t r = 0; r < num_rois; ++r)
            if (batch[r] < 0 || batch[r] >= x.dims()[0])
                return ctx.error(StatusCode::kOutOfRange, "batch_indices[" + std::to_string(r) +
                                                              "] = " + std::to_string(batch[r]) + " is outside [0, " +
                                                              std::to_string(x.dims()[0]) + ")");
        if (ctx.out(0).numel() == 0) return Status::ok();
        dispatch_types<kFloats>(x.dtype(),
                                [&](auto tag) { run_typed<decltype(tag)>(x, ctx.in(1), batch, ctx.out(0)); });
        return Status::ok();
    }

  private:
    template <typename T>
    void run_typed(const Tensor& xt, const Tensor& rt, const int64_t* batch, Tensor& yt) const {
        const int64_t channels = xt.dims()[1], h = xt.dims()[2], w = xt.dims()[3];
        const int64_t num_rois = rt.dims()[0];
        const T* x = xt.data_as<T>();
        const T* rois = rt.data_as<T>();
        T* y = yt.data_as<T>();
        const double offset = half_pixel_ ? 0.5 : 0.0;
        parallel_for(
            num_rois,
            [&](int64_t begin, int64_t end) {
                std::vector<RoiTap> taps;
                for (int64_t r = begin; r < end; ++r) {
                    const T* roi = rois + r * 4;
                    const double x0 = static_cast<double>(load(roi[0])) * scale_ - offset;
                    const double y0 = static_cast<double>(load(roi[1])) * scale_ - offset;
                    double rw = static_cast<double>(load(roi[2])) * scale_ - offset - x0;
                    double rh = static_cast<double>(load(roi[3])) * scale_ - offset - y0;
                    if (!half_pixel_) rw = std::max(rw, 1.0), rh = std::max(rh, 1.0);
                    const double bin_h = rh / static_cast<double>(out_h_), bin_w = rw / static_cast<double>(out_w_);
                    const int64_t grid_h =
                        sampling_ratio_ > 0 ? sampling_ratio_ : static_cast<int64_t>(std::ceil(rh / double(out_h_)));
                    const int64_t grid_w =
                        sampling_ratio_ > 0 ? sampling_ratio_ : static_cast<int64_t>(std::ceil(rw / double(out_w_)));
                    const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
                    // Taps of every sample of every bin, shared by all channels.
                    taps.clear();
                    for (int64_t ph = 0; ph < out_h_; ++ph)
                        for (int64_t pw = 0; pw < out_w_; ++pw)
                            for (int64_t iy = 0; iy < grid_h; ++iy)
                                for (int64_t ix = 0; ix < grid_w; ++ix)
                                    taps.push_back(bilinear_tap(
                                        y0 + double(ph) * bin_h + (double(iy) + 0.5) * bin_h / double(grid_h),
                                        x0 + double(pw) * bin_w + (double(ix) + 0.5) * bin_w / double(grid_w), h, w));
                    const int64_t samples = grid_h * grid_w;
                    for (int64_t c = 0; c < channels; ++c) {
                        const T* plane = x + (batch[r] * channels + c) * h * w;
                        T* out = y + (r * channels + c) * out_h_ * out_w_;
                        for (int64_t b = 0; b < out_h_ * out_w_; ++b) {
                            double acc = 0;
                            for (int64_t s = 0; s < samples; ++s) {
                                const RoiTap& t = taps[static_cast<size_t>(b * samples + s)];
                                double v[4];
                                for (int k = 0; k < 4; ++k) v[k] = t.w[k] * static_cast<double>(load(plane[t.pos[k]]));
                                if (max_mode_) {
                                    const double m = std::max(std::max(v[0], v[1]), std::max(v[2], v[3]));
                                    acc = s == 0 ? m : std::max(acc, m);
                                } else {
                                    acc += v[0] + v[1] + v[2] + v[3];
                                }
                            }
                            out[b] = store<T>(max_mode_ ? acc : acc / count);
                        }
                    }
                }
            },
            1);
    }

    // Bilinear taps at (y, x) as torchvision's roi_align computes them: samples more than one pixel
    // outside read zero, others clamp to the image.
    static RoiTap bilinear_tap(double y, double x, int64_t h, int64_t w) {
        RoiTap t;
        if (y < -1.0 || y > double(h) || x < -1.0 || x > double(w)) return t;
        y = std::max(y, 0.0);
        x = std::max(x, 0.0);
        auto y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x);
        int64_t y_high, x_high;
        if (y_low >= h - 1) {
            y_high = y_low = h - 1;
            y = double(y_low);
        } else {
            y_high = y_low + 1;
        }
        if (x_low >= w - 1) {
            x_high = x_low = w - 1;
            x = double(x_low);
        } else {
            x_high = x_low + 1;
        }
        const double ly = y - double(y_low), lx = x - double(x_low), hy = 1 - ly, hx = 1 - lx;
        t.pos[0] = y_low * w + x_low;
        t.pos[1] = y_low * w + x_high;
        t.pos[2] = y_high * w + x_low;
        t.pos[3] = y_high * w + x_high;
        t.w[0] = hy * hx;
        t.w[1] = hy * lx;
        t.w[2] = ly * hx;
        t.w[3] = ly * lx;
        return t;
    }

    bool max_mode_;
    bool half_pixel_;
    int64_t out_h_, out_w_, sampling_ratio_;
    float scale_;
};

}  // namespace

void register_sampling_kernels(KernelRegistry& registry) {
    KernelDef gs;
    gs.op_type = "GridSample";
    gs.since_version = 16;
    gs.end_version = 19;  // opset 20 renames the modes and allows N-d
    gs.dtypes = dtypes_of(kFloats);
    gs.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const std::string mode = ctx.node.attr_string("mode", "bilinear");
        const std::string padding = ctx.node.attr_string("padding_mode", "zeros");
        const int64_t align = ctx.node.attr_int("align_corners", 0);
        GridMode m;
        if (mode == "bilinear")
            m = GridMode::kBilinear;
        else if (mode == "nearest")
            m = GridMode::kNearest;
        else if (mode == "bicubic")
            m = GridMode::kBicubic;
        else
            return ctx.invalid("mode '" + mode + "' must be bilinear, nearest or bicubic");
        GridPadding p;
        if (padding == "zeros")
            p = GridPadding::kZeros;
        else if (padding == "border")
            p = GridPadding::kBorder;
        else if (padding == "reflection")
            p = GridPadding::kReflection;
        else
            return ctx.invalid("padding_mode '" + padding + "' must be zeros, border or reflection");
        if (align != 0 && align != 1) return ctx.invalid("align_corners must be 0 or 1, got " + std::to_string(align));
        return std::unique_ptr<Kernel>(new GridSampleKernel(m, p, align == 1));
    };
    registry.add(std::move(gs));

    KernelDef ra;
    ra.op_type = "RoiAlign";
    ra.since_version = 10;
    ra.end_version = kLatest;
    ra.dtypes = dtypes_of(kFloats);
    ra.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Node& n = ctx.node;
        const std::string mode = n.attr_string("mode", "avg");
        if (mode != "avg" && mode != "max") return ctx.invalid("mode '" + mode + "' must be avg or max");
        // Opset 10 has no coordinate_transformation_mode and behaves as output_half_pixel.
        const std::string coord =
            n.attr_string("coordinate_transformation_mode", ctx.opset >= 16 ? "half_pixel" : "output_half_pixel");
        if (coord != "half_pixel" && coord != "output_half_pixel")
            return ctx.invalid("coordinate_transformation_mode '" + coord +
                               "' must be half_pixel or output_half_pixel");
        const int64_t out_h = n.attr_int("output_height", 1), out_w = n.attr_int("output_width", 1);
        const int64_t ratio = n.attr_int("sampling_ratio", 0);
        if (out_h < 1 || out_w < 1)
            return ctx.invalid("output_height and output_width must be >= 1, got " + std::to_string(out_h) + " and " +
                               std::to_string(out_w));
        if (ratio < 0) return ctx.invalid("sampling_ratio must be >= 0, got " + std::to_string(ratio));
        return std::unique_ptr<Kernel>(new RoiAlignKernel(mode == "max", coord == "half_pixel", out_h, out_w, ratio,
                                                          n.attr_float("spatial_scale", 1.0f)));
    };
    registry.add(std::move(ra));
}

}  // namespace edgeinfer::kernels::cpu
