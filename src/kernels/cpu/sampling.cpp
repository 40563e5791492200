// Kernels that sample an image at fractional positions: GridSample-16 (4-D; bilinear, nearest, bicubic;
// zeros, border, reflection padding; align_corners) and -20 (N-d; the modes renamed linear, nearest,
// cubic: products of per-axis taps), AffineGrid-20 (the grid GridSample reads), and RoiAlign-10/16 (avg
// or max over a regular grid of bilinear samples per output bin; output_half_pixel or half_pixel
// coordinates).
//
// Both follow ONNX Runtime's CPU kernels (which match PyTorch's grid_sample and torchvision's
// roi_align): each output position computes its taps (offsets and weights) once and applies them to
// every channel.
#include <array>
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
// GridSample's spatial rank limits: per-axis taps live in fixed arrays, and a sample reads up to
// 2^r (linear) or 4^r (cubic) input positions.
constexpr size_t kMaxGridRank = 8, kMaxCubicRank = 4;
constexpr size_t kMaxGridTaps = 256;

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
    // max_spatial: 2 for GridSample-16 (4-D X only), any rank from GridSample-20 on.
    GridSampleKernel(GridMode mode, GridPadding padding, bool align_corners, size_t max_spatial)
        : mode_(mode), padding_(padding), align_corners_(align_corners), max_spatial_(max_spatial) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const TensorDesc& grid = ctx.input(1);
        const size_t r = x.dims.size() >= 2 ? x.dims.size() - 2 : 0;
        if (r > kMaxGridRank || (mode_ == GridMode::kBicubic && r > kMaxCubicRank))
            return ctx.unsupported_here("X " + shape_to_string(x.dims) + " has more spatial dims than supported (" +
                                        std::to_string(mode_ == GridMode::kBicubic ? kMaxCubicRank : kMaxGridRank) +
                                        " for this mode)");
        if (r < 1 || (max_spatial_ == 2 && r != 2))
            return ctx.invalid(std::string("X must have shape [N, C, ") + (max_spatial_ == 2 ? "H, W" : "D1, ..., Dr") +
                               "], got " + shape_to_string(x.dims));
        if (grid.dims.size() != r + 2 || grid.dims.back() != static_cast<int64_t>(r) || grid.dims[0] != x.dims[0])
            return ctx.invalid("grid must have shape [" + std::to_string(x.dims[0]) + ", " + std::to_string(r) +
                               " output dims..., " + std::to_string(r) + "] for X " + shape_to_string(x.dims) +
                               ", got " + shape_to_string(grid.dims));
        if (!dtype_in(x.dtype, kFloats) || grid.dtype != x.dtype)
            return ctx.unsupported_here("X and grid must have the same float type, got " +
                                        std::string(dtype_name(x.dtype)) + " and " +
                                        std::string(dtype_name(grid.dtype)));
        for (size_t j = 0; j < r; ++j)
            if (x.dims[j + 2] == 0 && shape_numel(grid.dims) > 0)
                return ctx.invalid("cannot sample the empty input " + shape_to_string(x.dims));
        std::vector<int64_t> y{x.dims[0], x.dims[1]};
        y.insert(y.end(), grid.dims.begin() + 1, grid.dims.end() - 1);
        ctx.set_output(0, x.dtype, y);
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

    // The taps along one spatial axis of `size` pixels for source coordinate s: up to 4 (index, weight)
    // pairs; index -1 reads zero.
    int axis_taps(double s, int64_t size, int64_t idx[4], double wt[4]) const {
        const double lo = align_corners_ ? 0 : -0.5, hi = align_corners_ ? double(size - 1) : double(size) - 0.5;
        if (mode_ != GridMode::kBicubic) {
            if (mode_ == GridMode::kNearest) s = std::nearbyint(s);
            // Out-of-range coordinates move inside first (PyTorch's compute_source_index).
            if (padding_ == GridPadding::kBorder)
                s = std::clamp(s, 0.0, double(size - 1));
            else if (padding_ == GridPadding::kReflection)
                s = std::clamp(reflect(s, lo, hi), 0.0, double(size - 1));
        }
        if (mode_ == GridMode::kNearest) {
            idx[0] = tap(static_cast<int64_t>(s), size, lo, hi);
            wt[0] = 1.0;
            return 1;
        }
        const double f = std::floor(s);
        const auto i0 = static_cast<int64_t>(f);
        if (mode_ == GridMode::kBilinear) {
            idx[0] = tap(i0, size, lo, hi);
            idx[1] = tap(i0 + 1, size, lo, hi);
            wt[0] = 1 - (s - f);
            wt[1] = s - f;
            return 2;
        }
        cubic_coeffs(s - f, wt);
        for (int k = 0; k < 4; ++k) idx[k] = tap(i0 - 1 + k, size, lo, hi);
        return 4;
    }

    template <typename T>
    void run_typed(const Tensor& xt, const Tensor& gt, Tensor& yt) const {
        const auto& d = xt.dims();
        const size_t r = d.size() - 2;
        const int64_t n_count = d[0], channels = d[1];
        int64_t in_size = 1, out_size = 1;
        std::array<int64_t, kMaxGridRank> in_strides{};
        for (size_t j = r; j-- > 0;) in_strides[j] = in_size, in_size *= d[j + 2];
        for (size_t j = 0; j < r; ++j) out_size *= gt.dims()[j + 1];
        const T* x = xt.data_as<T>();
        const T* grid = gt.data_as<T>();
        T* y = yt.data_as<T>();
        parallel_for(
            n_count * out_size,
            [&](int64_t begin, int64_t end) {
                std::array<int64_t, 4 * kMaxGridRank> idx{};
                std::array<double, 4 * kMaxGridRank> wt{};
                std::array<int, kMaxGridRank> count{}, pick{};
                std::array<int64_t, kMaxGridTaps> offsets{};
                std::array<double, kMaxGridTaps> weights{};
                for (int64_t p = begin; p < end; ++p) {
                    const int64_t n = p / out_size, pix = p % out_size;
                    // Grid component k addresses spatial axis r - 1 - k (x is the innermost axis).
                    for (size_t k = 0; k < r; ++k) {
                        const size_t axis = r - 1 - k;
                        const double s =
                            denormalize(static_cast<double>(load(grid[p * int64_t(r) + int64_t(k)])), d[axis + 2]);
                        count[axis] = axis_taps(s, d[axis + 2], &idx[axis * 4], &wt[axis * 4]);
                    }
                    size_t taps = 0;
                    std::fill(pick.begin(), pick.end(), 0);
                    for (;;) {
                        int64_t off = 0;
                        double w = 1.0;
                        for (size_t a = 0; a < r && off >= 0; ++a) {
                            const int64_t i = idx[a * 4 + pick[a]];
                            off = i < 0 ? -1 : off + i * in_strides[a];
                            w *= wt[a * 4 + pick[a]];
                        }
                        if (off >= 0) offsets[taps] = off, weights[taps++] = w;
                        size_t a = r;
                        while (a-- > 0 && ++pick[a] == count[a]) pick[a] = 0;
                        if (a == static_cast<size_t>(-1)) break;
                    }
                    for (int64_t c = 0; c < channels; ++c) {
                        const T* plane = x + (n * channels + c) * in_size;
                        double acc = 0;
                        for (size_t t = 0; t < taps; ++t)
                            acc += weights[t] * static_cast<double>(load(plane[offsets[t]]));
                        y[(n * channels + c) * out_size + pix] = store<T>(acc);
                    }
                }
            },
            std::max<int64_t>(1, 4096 / std::max<int64_t>(channels, 1)));
    }

    GridMode mode_;
    GridPadding padding_;
    bool align_corners_;
    size_t max_spatial_;
};

// ---------------------------------------------------------------------------------------------
// AffineGrid-20: theta (N, 2, 3) or (N, 3, 4) and size (N, C, H, W) or (N, C, D, H, W) give the grid
// (N, H, W, 2) or (N, D, H, W, 3) of theta @ [x, y, (z,) 1] over the normalized base grid (x innermost).
class AffineGridKernel final : public Kernel {
  public:
    explicit AffineGridKernel(bool align_corners) : align_corners_(align_corners) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& theta = ctx.input(0);
        const Tensor* size_t_value = ctx.value(1);
        if (size_t_value == nullptr) return ctx.defer();
        std::vector<int64_t> size;
        if (size_t_value->rank() != 1 || !read_int_values(*size_t_value, size) ||
            (size.size() != 4 && size.size() != 5))
            return ctx.invalid("size must be a 1-D int64 tensor of 4 (N, C, H, W) or 5 (N, C, D, H, W) values");
        const int64_t r = static_cast<int64_t>(size.size()) - 2;
        if (!dtype_in(theta.dtype, kFloats))
            return ctx.unsupported_here("theta type " + std::string(dtype_name(theta.dtype)) + " is not a float type");
        if (theta.dims != std::vector<int64_t>{size[0], r, r + 1})
            return ctx.invalid("theta must have shape [" + std::to_string(size[0]) + ", " + std::to_string(r) + ", " +
                               std::to_string(r + 1) + "] for size " + shape_to_string(size) + ", got " +
                               shape_to_string(theta.dims));
        for (int64_t v : size)
            if (v < 0) return ctx.invalid("size " + shape_to_string(size) + " has a negative value");
        std::vector<int64_t> out{size[0]};
        out.insert(out.end(), size.begin() + 2, size.end());
        out.push_back(r);
        ctx.set_output(0, theta.dtype, out);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        const int64_t r = y.dims().back();
        const int64_t* spatial = y.dims().data() + 1;
        int64_t points = 1;
        for (int64_t a = 0; a < r; ++a) points *= spatial[a];
        dispatch_types<kFloats>(y.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* theta = ctx.in(0).data_as<T>();
            T* out = y.data_as<T>();
            parallel_for(y.dims()[0] * points, [&](int64_t begin, int64_t end) {
                double base[4];
                for (int64_t p = begin; p < end; ++p) {
                    const int64_t n = p / points;
                    int64_t rem = p % points;
                    // base = [x, y, (z,) 1]: spatial axis r - 1 - k gives component k.
                    for (int64_t a = r - 1; a >= 0; --a) {
                        const int64_t i = rem % spatial[a];
                        rem /= spatial[a];
                        base[r - 1 - a] = normalized(i, spatial[a]);
                    }
                    base[r] = 1.0;
                    const T* t = theta + n * r * (r + 1);
                    for (int64_t k = 0; k < r; ++k) {
                        double acc = 0;
                        for (int64_t j = 0; j <= r; ++j) acc += static_cast<double>(load(t[k * (r + 1) + j])) * base[j];
                        out[p * r + k] = store<T>(acc);
                    }
                }
            });
        });
        return Status::ok();
    }

  private:
    // The normalized coordinate of pixel i of n: pixel centres (align_corners=0) or corners in [-1, 1].
    // One pixel with align_corners=1 sits at -1, as in ONNX's reference (PyTorch says 0, ORT 1).
    double normalized(int64_t i, int64_t n) const {
        if (align_corners_) return n > 1 ? -1.0 + 2.0 * double(i) / double(n - 1) : -1.0;
        return (2.0 * double(i) + 1.0) / double(n) - 1.0;
    }

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
    for (const bool v20 : {false, true}) {
        KernelDef gs;
        gs.op_type = "GridSample";
        gs.since_version = v20 ? 20 : 16;
        gs.end_version = v20 ? kLatest : 19;  // opset 20 renames the modes and allows N-d
        gs.dtypes = dtypes_of(kFloats);
        gs.factory = [v20](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            const std::string mode = ctx.node.attr_string("mode", v20 ? "linear" : "bilinear");
            const std::string padding = ctx.node.attr_string("padding_mode", "zeros");
            const int64_t align = ctx.node.attr_int("align_corners", 0);
            GridMode m;
            if (mode == (v20 ? "linear" : "bilinear"))
                m = GridMode::kBilinear;
            else if (mode == "nearest")
                m = GridMode::kNearest;
            else if (mode == (v20 ? "cubic" : "bicubic"))
                m = GridMode::kBicubic;
            else
                return ctx.invalid("mode '" + mode + "' must be " +
                                   (v20 ? "linear, nearest or cubic (opset 20)" : "bilinear, nearest or bicubic"));
            GridPadding p;
            if (padding == "zeros")
                p = GridPadding::kZeros;
            else if (padding == "border")
                p = GridPadding::kBorder;
            else if (padding == "reflection")
                p = GridPadding::kReflection;
            else
                return ctx.invalid("padding_mode '" + padding + "' must be zeros, border or reflection");
            if (align != 0 && align != 1)
                return ctx.invalid("align_corners must be 0 or 1, got " + std::to_string(align));
            return std::unique_ptr<Kernel>(new GridSampleKernel(m, p, align == 1, v20 ? 0 : 2));
        };
        registry.add(std::move(gs));
    }

    KernelDef ag;
    ag.op_type = "AffineGrid";
    ag.since_version = 20;
    ag.end_version = kLatest;
    ag.dtypes = dtypes_of(kFloats);
    ag.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const int64_t align = ctx.node.attr_int("align_corners", 0);
        if (align != 0 && align != 1) return ctx.invalid("align_corners must be 0 or 1, got " + std::to_string(align));
        return std::unique_ptr<Kernel>(new AffineGridKernel(align == 1));
    };
    registry.add(std::move(ag));

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
