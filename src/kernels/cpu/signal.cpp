// Signal-processing kernels of opset 17: HannWindow, HammingWindow, BlackmanWindow, MelWeightMatrix,
// DFT and STFT; DFT-20 (axis as input 2, default -2).
//
// Transforms run as FFTs in double precision: radix-2 for power-of-two lengths, Bluestein's chirp-z
// (three power-of-two FFTs) for every other length, so each costs O(n log n). Plans (twiddles,
// chirps) are built in prepare; run uses per-thread scratch from the Plan's arena.
#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using namespace types;
using cd = std::complex<double>;

constexpr int64_t kLatest = 1 << 30;
constexpr double kPi = 3.14159265358979323846;

// In-place forward FFT of a power-of-two length n; twiddle[k] = exp(-2 pi i k / n), k < n / 2.
void fft_pow2(cd* a, int64_t n, const cd* twiddle) {
    for (int64_t i = 1, j = 0; i < n; ++i) {
        int64_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) std::swap(a[i], a[j]);
    }
    for (int64_t len = 2; len <= n; len <<= 1) {
        const int64_t half = len / 2, step = n / len;
        for (int64_t i = 0; i < n; i += len)
            for (int64_t k = 0; k < half; ++k) {
                const cd v = a[i + k + half] * twiddle[k * step];
                a[i + k + half] = a[i + k] - v;
                a[i + k] += v;
            }
    }
}

// A forward DFT of one length.
class FftPlan {
  public:
    explicit FftPlan(int64_t n = 0) : n_(n) {
        if (n <= 0) return;
        bluestein_ = (n & (n - 1)) != 0;
        m_ = 1;
        while (m_ < (bluestein_ ? 2 * n - 1 : n)) m_ <<= 1;
        twiddle_.resize(static_cast<size_t>(m_ / 2));
        for (int64_t k = 0; k < m_ / 2; ++k) twiddle_[k] = std::polar(1.0, -2 * kPi * double(k) / double(m_));
        if (!bluestein_) return;
        chirp_.resize(static_cast<size_t>(n));
        for (int64_t k = 0; k < n; ++k)  // exp(-i pi k^2 / n), k^2 reduced mod 2n for precision
            chirp_[k] = std::polar(1.0, -kPi * double((k * k) % (2 * n)) / double(n));
        filter_.assign(static_cast<size_t>(m_), cd(0, 0));
        filter_[0] = std::conj(chirp_[0]);
        for (int64_t k = 1; k < n; ++k) filter_[k] = filter_[m_ - k] = std::conj(chirp_[k]);
        fft_pow2(filter_.data(), m_, twiddle_.data());
    }

    int64_t size() const { return n_; }
    // Complex scratch entries forward() needs.
    int64_t work_size() const { return bluestein_ ? m_ : 0; }

    // out = DFT(x), both of length n (may alias when not Bluestein).
    void forward(const cd* x, cd* out, cd* work) const {
        if (!bluestein_) {
            if (out != x) std::copy(x, x + n_, out);
            fft_pow2(out, n_, twiddle_.data());
            return;
        }
        for (int64_t k = 0; k < m_; ++k) work[k] = k < n_ ? x[k] * chirp_[k] : cd(0, 0);
        fft_pow2(work, m_, twiddle_.data());
        for (int64_t k = 0; k < m_; ++k) work[k] = std::conj(work[k] * filter_[k]);
        fft_pow2(work, m_, twiddle_.data());  // conj(FFT(conj(.))) / m is the inverse
        const double inv_m = 1.0 / double(m_);
        for (int64_t k = 0; k < n_; ++k) out[k] = std::conj(work[k]) * inv_m * chirp_[k];
    }

  private:
    int64_t n_ = 0, m_ = 0;
    bool bluestein_ = false;
    std::vector<cd> twiddle_, chirp_, filter_;
};

// Reads a scalar integer input's value (int32 or int64); false if not one.
bool scalar_int(const Tensor& t, int64_t& v) {
    std::vector<int64_t> vals;
    if (!read_int_values(t, vals) || vals.size() != 1) return false;
    v = vals[0];
    return true;
}

// output_datatype attribute: a numeric ONNX type (default float).
Result<DataType> output_type(const CreateContext& ctx) {
    auto t = static_cast<DataType>(ctx.node.attr_int("output_datatype", 1));
    if (!dtype_in(t, kNumeric))
        return ctx.invalid("output_datatype " + std::to_string(static_cast<int>(t)) + " is not a numeric type");
    return t;
}

// ---------------------------------------------------------------------------------------------
// Hann, Hamming and Blackman windows: w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), with
// N = size (periodic) or size - 1 (symmetric).
struct WindowCoeffs {
    double a0, a1, a2;
};

class WindowKernel final : public Kernel {
  public:
    WindowKernel(WindowCoeffs c, bool periodic, DataType out) : c_(c), periodic_(periodic), out_(out) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& size = ctx.input(0);
        if ((size.dtype != DataType::kInt32 && size.dtype != DataType::kInt64) || shape_numel(size.dims) != 1)
            return ctx.invalid("size must be an int32 or int64 scalar");
        const Tensor* v = ctx.value(0);
        if (!v) return ctx.defer();
        int64_t n = 0;
        scalar_int(*v, n);
        if (n < 0) return ctx.invalid("size " + std::to_string(n) + " is negative");
        ctx.set_output(0, out_, {n});
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        Tensor& y = ctx.out(0);
        const int64_t n = y.numel();
        const double denom = periodic_ ? double(n) : double(n - 1);
        dispatch_types<kNumeric>(y.dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* out = y.data_as<T>();
            for (int64_t i = 0; i < n; ++i) {
                const double x = denom > 0 ? 2 * kPi * double(i) / denom : 0.0;
                out[i] = store<T>(c_.a0 - c_.a1 * std::cos(x) + c_.a2 * std::cos(2 * x));
            }
        });
        return Status::ok();
    }

  private:
    WindowCoeffs c_;
    bool periodic_;
    DataType out_;
};

// ---------------------------------------------------------------------------------------------
// MelWeightMatrix-17: [dft_length / 2 + 1, num_mel_bins] triangular filters, as ONNX's reference
// computes them (mel points spaced by (high - low) / (num_mel_bins + 2), bins floored).
struct MelState : KernelState {
    std::vector<double> weights;
};

class MelWeightMatrixKernel final : public Kernel {
  public:
    explicit MelWeightMatrixKernel(DataType out) : out_(out) {}

    Status prepare(PrepareContext& ctx) const override {
        for (size_t i = 0; i < 5; ++i) {
            if (!ctx.has_input(i) || shape_numel(ctx.input(i).dims) != 1)
                return ctx.invalid("input " + std::to_string(i) + " must be a scalar");
            if (!ctx.value(i)) return ctx.defer();
        }
        int64_t mel_bins = 0, dft_length = 0, sample_rate = 0;
        if (!scalar_int(*ctx.value(0), mel_bins) || !scalar_int(*ctx.value(1), dft_length) ||
            !scalar_int(*ctx.value(2), sample_rate))
            return ctx.invalid("num_mel_bins, dft_length and sample_rate must be int32 or int64");
        double edges[2];
        for (size_t i = 0; i < 2; ++i) {
            const Tensor& t = *ctx.value(3 + i);
            if (!dispatch_types<kFloats>(t.dtype(),
                                         [&](auto tag) { edges[i] = double(load(t.data_as<decltype(tag)>()[0])); }))
                return ctx.invalid("lower_edge_hertz and upper_edge_hertz must be float");
        }
        if (mel_bins <= 0 || dft_length <= 0 || sample_rate <= 0)
            return ctx.invalid("num_mel_bins, dft_length and sample_rate must be positive");
        const int64_t spectrogram_bins = dft_length / 2 + 1;
        auto st = std::make_unique<MelState>();
        st->weights.assign(static_cast<size_t>(spectrogram_bins * mel_bins), 0.0);
        const double low_mel = 2595 * std::log10(1 + edges[0] / 700);
        const double high_mel = 2595 * std::log10(1 + edges[1] / 700);
        const double step = (high_mel - low_mel) / double(mel_bins + 2);
        std::vector<int64_t> bins(static_cast<size_t>(mel_bins + 2));
        for (int64_t i = 0; i < mel_bins + 2; ++i) {
            const double hz = 700 * (std::pow(10.0, (double(i) * step + low_mel) / 2595) - 1);
            bins[i] = static_cast<int64_t>(std::floor(double(dft_length + 1) * hz / double(sample_rate)));
        }
        auto set = [&](int64_t row, int64_t col, double v) {
            if (row >= 0 && row < spectrogram_bins) st->weights[row * mel_bins + col] = v;
        };
        for (int64_t i = 0; i < mel_bins; ++i) {
            const int64_t lo = bins[i], center = bins[i + 1], hi = bins[i + 2];
            if (center == lo)
                set(center, i, 1.0);
            else
                for (int64_t j = lo; j <= center; ++j) set(j, i, double(j - lo) / double(center - lo));
            for (int64_t j = center; j < hi; ++j) set(j, i, double(hi - j) / double(hi - center));
        }
        ctx.set_output(0, out_, {spectrogram_bins, mel_bins});
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<MelState>();
        Tensor& y = ctx.out(0);
        dispatch_types<kNumeric>(y.dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* out = y.data_as<T>();
            for (size_t i = 0; i < st.weights.size(); ++i) out[i] = store<T>(st.weights[i]);
        });
        return Status::ok();
    }

  private:
    DataType out_;
};

// ---------------------------------------------------------------------------------------------
// DFT-17 along one axis of [batch, signal dims..., 1 (real) or 2 (complex)], optionally zero-padded
// or truncated to dft_length; onesided keeps the first length / 2 + 1 bins; inverse scales by 1/n.
struct TransformState : KernelState {
    FftPlan plan;
    int64_t outer = 1, n_in = 0, inner = 1, out_len = 0, components = 1;  // DFT
    int64_t frames = 0, step = 0, signal_len = 0;                         // STFT
    int threads = 1;
};

// Per-thread scratch: input and output lines plus the plan's work buffer.
size_t transform_scratch(const TransformState& st) {
    const int64_t per_thread = 2 * st.plan.size() + st.plan.work_size();
    return static_cast<size_t>(st.threads * per_thread) * sizeof(cd);
}

class DftKernel final : public Kernel {
  public:
    // axis_input: DFT-20 reads the axis from input 2 (a scalar, default -2) instead of the attribute.
    DftKernel(int64_t axis, bool inverse, bool onesided, bool axis_input)
        : axis_(axis), inverse_(inverse), onesided_(onesided), axis_input_(axis_input) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(x.dims.size());
        if (rank < 2 || (x.dims.back() != 1 && x.dims.back() != 2))
            return ctx.invalid("input must have shape [batch, signal..., 1 or 2], got " + shape_to_string(x.dims));
        if (!dtype_in(x.dtype, kF32 | kF64))
            return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)) + " is not float or double");
        int64_t axis = axis_;
        if (axis_input_ && ctx.has_input(2)) {
            const Tensor* v = ctx.value(2);
            if (!v) return ctx.defer();
            if (!scalar_int(*v, axis)) return ctx.invalid("axis must be an integer scalar");
        }
        const int64_t given = axis;
        if (!normalize_axis(axis, rank) || axis == rank - 1)
            return ctx.invalid("axis " + std::to_string(given) + " must name a signal axis of input shape " +
                               shape_to_string(x.dims) + " (not the last, which holds the components)");
        if (inverse_ && onesided_) return ctx.unsupported_here("onesided=1 with inverse=1 is not supported");
        auto st = std::make_unique<TransformState>();
        st->n_in = x.dims[axis];
        int64_t length = st->n_in;
        if (ctx.has_input(1)) {
            const Tensor* v = ctx.value(1);
            if (!v) return ctx.defer();
            if (!scalar_int(*v, length) || length < 1)
                return ctx.invalid("dft_length must be a positive integer scalar");
        }
        st->plan = FftPlan(length);
        st->components = x.dims.back();
        for (int64_t d = 0; d < axis; ++d) st->outer *= x.dims[d];
        for (int64_t d = axis + 1; d < rank - 1; ++d) st->inner *= x.dims[d];
        st->out_len = onesided_ ? length / 2 + 1 : length;
        st->threads = std::max(1, omp_get_max_threads());
        std::vector<int64_t> out = x.dims;
        out[axis] = st->out_len;
        out.back() = 2;
        ctx.set_output(0, x.dtype, out);
        ctx.request_scratch(transform_scratch(*st));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<TransformState>();
        const Tensor& x = ctx.in(0);
        if (ctx.out(0).numel() == 0) return Status::ok();
        const int64_t length = st.plan.size(), lines = st.outer * st.inner;
        dispatch_types<kF32 | kF64>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* in = x.data_as<T>();
            T* out = ctx.out(0).data_as<T>();
            const int nt = static_cast<int>(std::min<int64_t>(st.threads, std::max<int64_t>(lines, 1)));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && lines * length > 4096)
            for (int64_t line = 0; line < lines; ++line) {
                cd* buf = static_cast<cd*>(ctx.scratch) + omp_get_thread_num() * (2 * length + st.plan.work_size());
                cd* res = buf + length;
                const int64_t o = line / st.inner, i = line % st.inner;
                for (int64_t k = 0; k < length; ++k) {
                    if (k >= st.n_in) {
                        buf[k] = cd(0, 0);
                        continue;
                    }
                    const T* p = in + ((o * st.n_in + k) * st.inner + i) * st.components;
                    buf[k] = cd(double(p[0]), st.components == 2 ? double(p[1]) : 0.0);
                    if (inverse_) buf[k] = std::conj(buf[k]);
                }
                st.plan.forward(buf, res, res + length);
                for (int64_t k = 0; k < st.out_len; ++k) {
                    cd v = inverse_ ? std::conj(res[k]) / double(length) : res[k];
                    T* q = out + ((o * st.out_len + k) * st.inner + i) * 2;
                    q[0] = static_cast<T>(v.real());
                    q[1] = static_cast<T>(v.imag());
                }
            }
        });
        return Status::ok();
    }

  private:
    int64_t axis_;
    bool inverse_, onesided_, axis_input_;
};

// ---------------------------------------------------------------------------------------------
// STFT-17: signal [batch, length, 1 or 2], frame_step, optional window [frame_length] and
// frame_length; output [batch, frames, bins, 2] with frames = (length - frame_length) / step + 1.
class StftKernel final : public Kernel {
  public:
    explicit StftKernel(bool onesided) : onesided_(onesided) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        if (x.dims.size() != 3 || (x.dims[2] != 1 && x.dims[2] != 2))
            return ctx.invalid("signal must have shape [batch, length, 1 or 2], got " + shape_to_string(x.dims));
        if (!dtype_in(x.dtype, kF32 | kF64))
            return ctx.unsupported_here("signal type " + std::string(dtype_name(x.dtype)) + " is not float or double");
        if (ctx.has_input(2) && (ctx.input(2).dims.size() != 1 || ctx.input(2).dtype != x.dtype))
            return ctx.invalid("window must be 1-D with the signal's type");
        if (!ctx.value(1) || (ctx.has_input(3) && !ctx.value(3))) return ctx.defer();
        auto st = std::make_unique<TransformState>();
        int64_t frame_length = ctx.has_input(2) ? ctx.input(2).dims[0] : -1;
        if (!scalar_int(*ctx.value(1), st->step) || st->step < 1)
            return ctx.invalid("frame_step must be a positive integer scalar");
        if (ctx.has_input(3)) {
            int64_t given = 0;
            if (!scalar_int(*ctx.value(3), given) || given < 1)
                return ctx.invalid("frame_length must be a positive integer scalar");
            if (frame_length >= 0 && given != frame_length)
                return ctx.invalid("frame_length " + std::to_string(given) + " differs from the window's length " +
                                   std::to_string(frame_length));
            frame_length = given;
        }
        if (frame_length < 1) return ctx.invalid("needs a window or frame_length");
        st->signal_len = x.dims[1];
        st->components = x.dims[2];
        if (st->signal_len < frame_length)
            return ctx.invalid("the signal (" + std::to_string(st->signal_len) + " samples) is shorter than a frame (" +
                               std::to_string(frame_length) + ")");
        if (onesided_ && st->components == 2) return ctx.unsupported_here("onesided=1 needs a real signal");
        st->frames = (st->signal_len - frame_length) / st->step + 1;
        st->plan = FftPlan(frame_length);
        st->outer = x.dims[0];
        st->out_len = onesided_ ? frame_length / 2 + 1 : frame_length;
        st->threads = std::max(1, omp_get_max_threads());
        ctx.set_output(0, x.dtype, {x.dims[0], st->frames, st->out_len, 2});
        ctx.request_scratch(transform_scratch(*st));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<TransformState>();
        const Tensor& x = ctx.in(0);
        if (ctx.out(0).numel() == 0) return Status::ok();
        const int64_t length = st.plan.size(), jobs = st.outer * st.frames;
        dispatch_types<kF32 | kF64>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* in = x.data_as<T>();
            const T* window = ctx.has_in(2) ? ctx.in(2).data_as<T>() : nullptr;
            T* out = ctx.out(0).data_as<T>();
            const int nt = static_cast<int>(std::min<int64_t>(st.threads, std::max<int64_t>(jobs, 1)));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && jobs * length > 4096)
            for (int64_t job = 0; job < jobs; ++job) {
                cd* buf = static_cast<cd*>(ctx.scratch) + omp_get_thread_num() * (2 * length + st.plan.work_size());
                cd* res = buf + length;
                const int64_t b = job / st.frames, f = job % st.frames;
                const T* frame = in + (b * st.signal_len + f * st.step) * st.components;
                for (int64_t k = 0; k < length; ++k) {
                    const double w = window ? double(window[k]) : 1.0;
                    buf[k] = cd(double(frame[k * st.components]) * w,
                                st.components == 2 ? double(frame[k * 2 + 1]) * w : 0.0);
                }
                st.plan.forward(buf, res, res + length);
                T* q = out + job * st.out_len * 2;
                for (int64_t k = 0; k < st.out_len; ++k) {
                    q[2 * k] = static_cast<T>(res[k].real());
                    q[2 * k + 1] = static_cast<T>(res[k].imag());
                }
            }
        });
        return Status::ok();
    }

  private:
    bool onesided_;
};

KernelDef window_def(const char* op, WindowCoeffs c) {
    KernelDef d;
    d.op_type = op;
    d.since_version = 17;
    d.end_version = kLatest;
    d.dtypes = {DataType::kInt32, DataType::kInt64};
    d.factory = [c](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        EDGEINFER_ASSIGN_OR_RETURN(DataType out, output_type(ctx));
        return std::unique_ptr<Kernel>(new WindowKernel(c, ctx.node.attr_int("periodic", 1) != 0, out));
    };
    return d;
}

}  // namespace

void register_signal_kernels(KernelRegistry& registry) {
    registry.add(window_def("HannWindow", {0.5, 0.5, 0.0}));
    registry.add(window_def("HammingWindow", {25.0 / 46.0, 21.0 / 46.0, 0.0}));
    registry.add(window_def("BlackmanWindow", {0.42, 0.5, 0.08}));

    KernelDef mel;
    mel.op_type = "MelWeightMatrix";
    mel.since_version = 17;
    mel.end_version = kLatest;
    mel.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        EDGEINFER_ASSIGN_OR_RETURN(DataType out, output_type(ctx));
        return std::unique_ptr<Kernel>(new MelWeightMatrixKernel(out));
    };
    registry.add(std::move(mel));

    for (const bool axis_input : {false, true}) {  // opset 20 moves axis to input 2 (default -2)
        KernelDef dft;
        dft.op_type = "DFT";
        dft.since_version = axis_input ? 20 : 17;
        dft.end_version = axis_input ? kLatest : 19;
        dft.dtypes = dtypes_of(kF32 | kF64);
        dft.factory = [axis_input](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            const ir::Node& n = ctx.node;
            if (axis_input && n.find_attribute("axis"))
                return ctx.invalid("attribute axis is not part of DFT-20 (axis is input 2)");
            return std::unique_ptr<Kernel>(new DftKernel(axis_input ? -2 : n.attr_int("axis", 1),
                                                         n.attr_int("inverse", 0) != 0, n.attr_int("onesided", 0) != 0,
                                                         axis_input));
        };
        registry.add(std::move(dft));
    }

    KernelDef stft;
    stft.op_type = "STFT";
    stft.since_version = 17;
    stft.end_version = kLatest;
    stft.dtypes = dtypes_of(kF32 | kF64);
    stft.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new StftKernel(ctx.node.attr_int("onesided", 1) != 0));
    };
    registry.add(std::move(stft));
}

}  // namespace edgeinfer::kernels::cpu
