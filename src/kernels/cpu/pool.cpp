// Kernels: MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool, GlobalLpPool, LRN and MaxUnpool.
//
// The edgeinfer-domain MaxPool/AveragePool/GlobalAveragePool/GlobalMaxPool (attribute channels_last=1,
// created only by the runtime pass passes/channels_last.cpp) take and produce channels-last tensors
// (N, spatial..., C) and run through oneDNN, except float32 MaxPool and GlobalAveragePool (plain loops over
// contiguous channels, below); inside bf16 regions (passes/bf16_regions.cpp) their
// input may be bfloat16 and attribute output_type = 16 stores the output as bfloat16 (oneDNN pools in
// the input's type and a reorder converts when the output's differs). With attribute x_layout="NHWC"
// instead (created by passes/qdq_fusion.cpp inside int8 regions) dims stay NCHW and only the memory is
// channels-last. com.microsoft:NhwcMaxPool (ONNX Runtime's NHWC transformer) is the channels-last MaxPool
// on 8-bit integers (oneDNN pools u8/s8 in their own type).
//
// float32 pooling runs through oneDNN pooling_v2 (dilations, asymmetric pads); ceil_mode is expressed
// as extra right padding. A plain C++ path handles what oneDNN cannot express the ONNX way: the
// Indices output, average pooling that counts padding inside a ceil_mode tail, non-float types, and
// LpPool (y = (sum over the window of |x|^p)^(1/p); padding adds nothing; ceil_mode since opset 18).
//
// Max pooling propagates NaN: a window holding a NaN gives NaN (its Indices entry: the window's first NaN), as
// PyTorch and numpy do. oneDNN's maximum drops NaN, so after a float32 oneDNN max pooling one vectorized scan
// looks for NaN in the input and, only when it finds one, the plain C++ path recomputes the output.
// Channels-last float32 max pooling instead runs one pass of its own (max_pool_nhwc_rows): the window's
// maximum and sum per channel, vectorized across channels and compiled for AVX-512 and AVX2 as well as the
// baseline ISA; a NaN in any window leaves a NaN in the sums, and only then the plain path recomputes. It reads
// the input once where oneDNN's pooling and the scan read it twice (squeezenet1_1's first MaxPool: 0.34 ms ->
// 0.17 ms at 1 thread, ONNX Runtime 0.14 ms; bench/RESULTS.md, session 10).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

struct PoolAttrs : WindowAttrs {  // auto_pad, kernel_shape, strides, dilations, pads
    bool is_max = true;
    bool global = false;
    bool ceil_mode = false;
    bool count_include_pad = false;
    int64_t storage_order = 0;
    bool channels_last = false;  // edgeinfer domain: (N, spatial..., C) in and out
    bool nhwc_memory = false;    // edgeinfer domain: NCHW dims, channels-last memory in and out
    bool bf16_output = false;    // edgeinfer domain, output_type = 16: the output is bfloat16
    double p = 0;                // LpPool's p (0: max or average pooling)
};

std::string parse_pool_attrs(const ir::Node& node, bool is_max, bool global, PoolAttrs& a) {
    a.is_max = is_max;
    a.global = global;
    a.channels_last = (node.domain == "edgeinfer" && node.attr_int("channels_last", 0) != 0) ||
                      node.domain == "com.microsoft";  // com.microsoft:NhwcMaxPool is always channels-last
    if (node.op_type == "LpPool" || node.op_type == "GlobalLpPool") {
        // p is a float attribute in opset 1, an int since opset 2.
        const ir::Attribute* p = node.find_attribute("p");
        a.p = p == nullptr ? 2.0 : p->kind == ir::Attribute::Kind::kFloat ? double(p->f) : double(p->i);
        if (!(a.p > 0)) return "attribute p must be > 0, got " + std::to_string(a.p);
    }
    if (node.domain == "edgeinfer") {
        std::string layout = node.attr_string("x_layout", "NCHW");
        if (layout != "NCHW" && layout != "NHWC") return "x_layout must be NCHW or NHWC";
        a.nhwc_memory = layout == "NHWC";
        if (a.nhwc_memory && a.channels_last) return "channels_last and x_layout=NHWC exclude each other";
        std::string why = parse_output_type(node, a.bf16_output);
        if (!why.empty()) return why;
        if (a.bf16_output && !a.channels_last) return "output_type bfloat16 needs channels_last";
    }
    if (global) return "";
    std::string why = parse_window_attrs(node, a);
    if (!why.empty()) return why;
    a.ceil_mode = node.attr_int("ceil_mode", 0) != 0;
    a.count_include_pad = node.attr_int("count_include_pad", 0) != 0;
    a.storage_order = node.attr_int("storage_order", 0);
    if (a.kernel_shape.empty()) return "attribute kernel_shape is required";
    for (int64_t k : a.kernel_shape)
        if (k < 1) return "kernel_shape values must be >= 1";
    if (a.storage_order != 0 && a.storage_order != 1) return "storage_order must be 0 or 1";
    return "";
}

// Pooling geometry padded to 3 spatial dims (leading unit dims) for the reference path.
struct Geometry {
    int64_t nc = 0;
    int64_t channels_last =
        0;  // 0: planar (N, C, spatial...) memory; else C of channels-last (N, spatial..., C) memory
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
    int64_t pl[3] = {0, 0, 0}, pr[3] = {0, 0, 0};  // pr: the explicit (or auto) end pads, without ceil extension
};

int64_t at_or(const std::vector<int64_t>& v, size_t i, int64_t fallback) { return i < v.size() ? v[i] : fallback; }

// The reference path's geometry of logical (N, C, spatial...) input dims `x`; `channels_last`: the memory is
// (N, spatial..., C).
Geometry make_geometry(const std::vector<int64_t>& x, const std::vector<int64_t>& out, const std::vector<int64_t>& k,
                       const std::vector<int64_t>& s, const std::vector<int64_t>& d, const std::vector<int64_t>& pl,
                       const std::vector<int64_t>& pr, bool channels_last) {
    Geometry g;
    g.nc = x[0] * (x.size() > 1 ? x[1] : 1);
    g.channels_last = channels_last ? x[1] : 0;
    const size_t off = 3 - out.size();
    for (size_t i = 0; i < out.size(); ++i) {
        g.in[off + i] = x[i + 2];
        g.out[off + i] = out[i];
        g.k[off + i] = k[i];
        g.s[off + i] = s[i];
        g.d[off + i] = d[i];
        g.pl[off + i] = pl[i];
        g.pr[off + i] = pr[i];
    }
    return g;
}

// Output dims and pads; `pr_eff` is the end padding oneDNN needs to produce `out` (ceil_mode tail).
Status pool_geometry(const PrepareContext& ctx, const PoolAttrs& a, const std::vector<int64_t>& x,
                     std::vector<int64_t>& out, std::vector<int64_t>& k, std::vector<int64_t>& s,
                     std::vector<int64_t>& d, std::vector<int64_t>& pl, std::vector<int64_t>& pr,
                     std::vector<int64_t>& pr_eff) {
    size_t n = x.size() - 2;
    if (!a.global) {
        if (a.kernel_shape.size() != n)
            return ctx.invalid("kernel_shape has " + std::to_string(a.kernel_shape.size()) + " values for " +
                               std::to_string(n) + " spatial dims");
        if ((!a.strides.empty() && a.strides.size() != n) || (!a.dilations.empty() && a.dilations.size() != n))
            return ctx.invalid("strides/dilations must have " + std::to_string(n) + " values");
        if (a.auto_pad == AutoPad::kNotSet && !a.pads.empty() && a.pads.size() != 2 * n)
            return ctx.invalid("pads must have " + std::to_string(2 * n) + " values");
    }
    for (size_t i = 0; i < n; ++i) {
        int64_t in = x[i + 2];
        int64_t ki = a.global ? in : a.kernel_shape[i];
        int64_t si = at_or(a.strides, i, 1), di = at_or(a.dilations, i, 1);
        int64_t kr = (ki - 1) * di + 1;
        int64_t l = 0, r = 0, o = 0;
        if (a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower) {
            o = (in + si - 1) / si;
            int64_t total = std::max<int64_t>(0, (o - 1) * si + kr - in);
            l = a.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
            r = total - l;
        } else {
            if (a.auto_pad == AutoPad::kNotSet) {
                l = at_or(a.pads, i, 0);
                r = at_or(a.pads, i + n, 0);
            }
            int64_t span = in + l + r - kr;
            if (span < 0)
                return ctx.invalid("kernel extent " + std::to_string(kr) + " exceeds padded input " +
                                   std::to_string(in + l + r) + " on spatial axis " + std::to_string(i));
            o = (a.ceil_mode ? (span + si - 1) / si : span / si) + 1;
            // The last window must start inside the input or its left padding.
            if (a.ceil_mode && (o - 1) * si >= in + l) --o;
        }
        out.push_back(o);
        k.push_back(ki);
        s.push_back(si);
        d.push_back(di);
        pl.push_back(l);
        pr.push_back(r);
        pr_eff.push_back(std::max(r, (o - 1) * si + kr - in - l));
    }
    return Status::ok();
}

template <typename T>
bool is_nan(T v) {
    if constexpr (std::is_floating_point_v<T>)
        return std::isnan(v);
    else
        return false;
}

// True when x[0, n) holds a NaN: the session's threads each scan a part in branch-free blocks the compiler
// vectorizes, with an early exit between blocks.
bool has_nan(const float* x, int64_t n) {
    std::atomic<bool> found{false};
    parallel_for(
        n,
        [&](int64_t begin, int64_t end) {
            constexpr int64_t kBlock = 4096;
            for (int64_t b = begin; b < end && !found.load(std::memory_order_relaxed); b += kBlock) {
                const int64_t e = std::min(end, b + kBlock);
                unsigned any = 0;
                for (int64_t i = b; i < e; ++i) any |= x[i] != x[i];
                if (any) found.store(true, std::memory_order_relaxed);
            }
        },
        int64_t{1} << 16);
    return found.load();
}

// x86-64 builds target the baseline ISA (SSE2): the channels-last max pooling loop is also compiled for AVX-512
// and AVX2, and the loader picks the widest one the CPU runs (GCC/clang function multiversioning, an ifunc).
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__)
#define EDGEINFER_POOL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EDGEINFER_POOL_CLONES
#endif

// Channels are pooled in blocks this wide, held in registers across a window's taps.
constexpr int64_t kPoolBlock = 32;

// The valid taps [lo, hi) along spatial axis j of geometry g for output position o (first tap at `start`).
inline void window_taps(const Geometry& g, int j, int64_t o, int64_t& start, int64_t& lo, int64_t& hi) {
    start = o * g.s[j] - g.pl[j];
    lo = start >= 0 ? 0 : (-start + g.d[j] - 1) / g.d[j];
    hi = start >= g.in[j] ? 0 : std::min(g.k[j], (g.in[j] - start + g.d[j] - 1) / g.d[j]);
}

// One window of channels-last max pooling over channels [0, n) (n = kPoolBlock when kFull) of `x` (the window's
// channel block at pixel 0): y = the maximum of the taps, and nan_acc += 0 * (their sum), which is NaN when a
// tap is NaN (or +-inf: a false alarm that only costs the recomputation).
template <bool kFull>
[[gnu::always_inline]] inline void max_window(const float* x, const Geometry& g, const int64_t* start,
                                              const int64_t* lo, const int64_t* hi, int64_t n, float* y,
                                              float* nan_acc) {
    const int64_t cn = kFull ? kPoolBlock : n, c = g.channels_last;
    float m[kPoolBlock], sum[kPoolBlock];
    for (int64_t i = 0; i < cn; ++i) m[i] = -std::numeric_limits<float>::infinity(), sum[i] = 0.0f;
    for (int64_t a = lo[0]; a < hi[0]; ++a)
        for (int64_t b = lo[1]; b < hi[1]; ++b) {
            const int64_t row = ((start[0] + a * g.d[0]) * g.in[1] + start[1] + b * g.d[1]) * g.in[2];
            for (int64_t e = lo[2]; e < hi[2]; ++e) {
                const float* p = x + (row + start[2] + e * g.d[2]) * c;
                for (int64_t i = 0; i < cn; ++i) {
                    const float v = p[i];
                    m[i] = m[i] > v ? m[i] : v;
                    sum[i] += v;
                }
            }
        }
    for (int64_t i = 0; i < cn; ++i) y[i] = m[i], nan_acc[i] += sum[i] * 0.0f;
}

// Output rows [begin, end) (a row: one n, out[0] and out[1] position) of float32 channels-last max pooling of
// geometry g whose windows each hold a tap. Returns true when a window held a NaN (then y is not the answer).
// The last rows go first: the input's producer wrote them last, so they are the likeliest still in cache.
EDGEINFER_POOL_CLONES
bool max_pool_nhwc_rows(const float* x, float* y, const Geometry& g, int64_t begin, int64_t end) {
    const int64_t c = g.channels_last, in_size = g.in[0] * g.in[1] * g.in[2];
    float nan_acc[kPoolBlock] = {};
    int64_t start[3], lo[3], hi[3];
    for (int64_t r = end - 1; r >= begin; --r) {
        const int64_t n = r / (g.out[0] * g.out[1]), o0 = r / g.out[1] % g.out[0], o1 = r % g.out[1];
        window_taps(g, 0, o0, start[0], lo[0], hi[0]);
        window_taps(g, 1, o1, start[1], lo[1], hi[1]);
        const float* xn = x + n * in_size * c;
        float* yr = y + r * g.out[2] * c;
        for (int64_t o2 = 0; o2 < g.out[2]; ++o2) {
            window_taps(g, 2, o2, start[2], lo[2], hi[2]);
            int64_t c0 = 0;
            for (; c0 + kPoolBlock <= c; c0 += kPoolBlock)
                max_window<true>(xn + c0, g, start, lo, hi, kPoolBlock, yr + o2 * c + c0, nan_acc);
            if (c0 < c) max_window<false>(xn + c0, g, start, lo, hi, c - c0, yr + o2 * c + c0, nan_acc);
        }
    }
    float any = 0.0f;
    for (float v : nan_acc) any += v;
    return any != any;
}

// Channels [c0, c1) of one image of float32 channels-last global average pooling: y = (x summed over the pixels
// in order, as float) / pixels, as oneDNN computes it (bit-exact), up to 512 channels per sweep over the pixels
// (the sums stay in L1). The session's threads split the channels: oneDNN's global pooling got slower, not
// faster, at 2 threads (efficientnet_b0's 17 of them: 0.37 ms at 2 threads, 0.23-0.27 ms at 1).
EDGEINFER_POOL_CLONES
void global_avg_nhwc_channels(const float* x, float* y, int64_t pixels, int64_t c, int64_t c0, int64_t c1) {
    constexpr int64_t kSweep = 512;
    const float count = static_cast<float>(pixels);
    for (int64_t b = c0; b < c1; b += kSweep) {
        const int64_t cn = std::min(kSweep, c1 - b);
        float sum[kSweep] = {};
        for (int64_t p = 0; p < pixels; ++p) {
            const float* xp = x + p * c + b;
            for (int64_t i = 0; i < cn; ++i) sum[i] += xp[i];
        }
        for (int64_t i = 0; i < cn; ++i) y[b + i] = pixels > 0 ? sum[i] / count : 0.0f;  // as reference_pool
    }
}

// True when every window of geometry g holds at least one tap (max_pool_nhwc_rows's condition).
bool windows_hold_taps(const Geometry& g) {
    for (int j = 0; j < 3; ++j)
        for (int64_t o = 0; o < g.out[j]; ++o) {
            int64_t start, lo, hi;
            window_taps(g, j, o, start, lo, hi);
            if (lo >= hi) return false;
        }
    return true;
}

template <typename T>
void reference_pool(const T* x, T* y, int64_t* indices, const Geometry& g, bool is_max, bool count_include_pad,
                    int64_t storage_order, double p) {
    int64_t in_size = g.in[0] * g.in[1] * g.in[2];
    int64_t out_size = g.out[0] * g.out[1] * g.out[2];
    const int64_t cl = g.channels_last;
    parallel_for(g.nc * out_size, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            int64_t c = i / out_size, o = i % out_size;
            // Element idx of plane c is xc[idx * step]; its output goes to y[y_at].
            const T* xc = cl ? x + (c / cl) * in_size * cl + c % cl : x + c * in_size;
            const int64_t step = cl ? cl : 1;
            const int64_t y_at = cl ? ((c / cl) * out_size + o) * cl + c % cl : i;
            int64_t od[3] = {o / (g.out[1] * g.out[2]), (o / g.out[2]) % g.out[1], o % g.out[2]};
            int64_t start[3], padded_count = 1;
            for (int j = 0; j < 3; ++j) {
                start[j] = od[j] * g.s[j] - g.pl[j];
                int64_t n_in = 0;  // kernel taps inside input + explicit padding
                for (int64_t t = 0; t < g.k[j]; ++t) {
                    int64_t p = start[j] + t * g.d[j];
                    if (p >= -g.pl[j] && p < g.in[j] + g.pr[j]) ++n_in;
                }
                padded_count *= n_in;
            }
            double sum = 0.0;
            int64_t count = 0, best_index = -1;
            T best = std::numeric_limits<T>::lowest();
            for (int64_t a = 0; a < g.k[0]; ++a) {
                int64_t p0 = start[0] + a * g.d[0];
                if (p0 < 0 || p0 >= g.in[0]) continue;
                for (int64_t b = 0; b < g.k[1]; ++b) {
                    int64_t p1 = start[1] + b * g.d[1];
                    if (p1 < 0 || p1 >= g.in[1]) continue;
                    for (int64_t e = 0; e < g.k[2]; ++e) {
                        int64_t p2 = start[2] + e * g.d[2];
                        if (p2 < 0 || p2 >= g.in[2]) continue;
                        int64_t idx = (p0 * g.in[1] + p1) * g.in[2] + p2;
                        T v = xc[idx * step];
                        if (is_max) {
                            if (best_index < 0 || v > best || (is_nan(v) && !is_nan(best))) {
                                best = v;
                                best_index = storage_order == 0 ? idx : p0 + p1 * g.in[0] + p2 * g.in[0] * g.in[1];
                            }
                        } else if (p > 0) {
                            sum += std::pow(std::fabs(static_cast<double>(v)), p);
                        } else {
                            sum += static_cast<double>(v);
                            ++count;
                        }
                    }
                }
            }
            if (is_max) {
                y[y_at] = best;
                if (indices) indices[i] = c * in_size + best_index;
            } else if (p > 0) {
                y[y_at] = static_cast<T>(std::pow(sum, 1.0 / p));
            } else {
                int64_t div = count_include_pad ? padded_count : count;
                y[y_at] = static_cast<T>(div > 0 ? sum / static_cast<double>(div) : 0.0);
            }
        }
    });
}

struct PoolState : KernelState {
    bool empty = false;
    bool reference = false;
    bool nan_check = false;  // float32 oneDNN max pooling: the plain path redoes an input holding NaN
    bool nhwc_max = false;   // float32 channels-last max pooling: max_pool_nhwc_rows, then nan_check's redo
    bool nhwc_gap = false;   // float32 channels-last GlobalAveragePool: global_avg_nhwc_channels
    bool indices = false;
    DataType dtype = DataType::kFloat32;
    Geometry geom;
    BoundPrimitive prim;
    memory::desc src_md, dst_md, scratchpad_md;
    // Channels-last with an output type other than the input's: pool into scratch (tmp_off), then
    // reorder into the output.
    bool convert_out = false;
    BoundPrimitive out_reorder;
    size_t tmp_off = 0, sp_off = 0;
};

// Builds the oneDNN pooling primitive src_md -> dst_md (logical NCHW dims) into `st` and asks for its
// scratchpad. Throws dnnl::error where oneDNN rejects the configuration.
void bind_pooling(PrepareContext& ctx, const PoolAttrs& a, PoolState& st, const memory::desc& src_md,
                  const memory::desc& dst_md, const std::vector<int64_t>& k, const std::vector<int64_t>& s,
                  const std::vector<int64_t>& d, const std::vector<int64_t>& pl, const std::vector<int64_t>& pr_eff) {
    auto alg = a.is_max              ? dnnl::algorithm::pooling_max
               : a.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                     : dnnl::algorithm::pooling_avg_exclude_padding;
    std::vector<int64_t> dil(d.size());
    for (size_t i = 0; i < d.size(); ++i) dil[i] = d[i] - 1;  // oneDNN counts dilation from 0
    dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src_md, dst_md, to_dnnl_dims(s),
                                        to_dnnl_dims(k), to_dnnl_dims(dil), to_dnnl_dims(pl), to_dnnl_dims(pr_eff));
    dnnl::pooling_v2_forward::primitive_desc pd(desc, user_scratch_attr(), onednn_engine());
    st.src_md = src_md;
    st.dst_md = dst_md;
    st.scratchpad_md = pd.scratchpad_desc();
    st.prim = BoundPrimitive(dnnl::pooling_v2_forward(pd));
    st.prim.arg(DNNL_ARG_SRC, st.src_md);
    st.prim.arg(DNNL_ARG_DST, st.dst_md);
    st.prim.arg(DNNL_ARG_SCRATCHPAD, st.scratchpad_md);
    ctx.request_scratch(st.scratchpad_md.get_size());
    const char* info = pd.impl_info_str();
    ctx.set_implementation(std::string("onednn:") + (info ? info : "?"));
}

class PoolKernel final : public Kernel {
  public:
    explicit PoolKernel(PoolAttrs attrs) : attrs_(std::move(attrs)) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<PoolState>();
        if (st.empty) return Status::ok();
        if (st.reference) {
            int64_t* idx = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.out(1).data_as<int64_t>() : nullptr;
            bool max = attrs_.is_max, cip = attrs_.count_include_pad;
            int64_t so = attrs_.storage_order;
            dispatch_numeric(st.dtype, [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int8_t> ||
                              std::is_same_v<T, uint8_t>)
                    reference_pool<T>(ctx.in(0).data_as<T>(), ctx.out(0).data_as<T>(), idx, st.geom, max, cip, so,
                                      attrs_.p);
            });
            return Status::ok();
        }
        if (st.nhwc_gap) {
            const float* x = ctx.in(0).data_as<float>();
            float* y = ctx.out(0).data_as<float>();
            const Geometry& g = st.geom;
            const int64_t c = g.channels_last, pixels = g.in[0] * g.in[1] * g.in[2];
            const int64_t blocks = (c + 15) / 16;  // tasks: 16 channels of one image
            parallel_for(
                g.nc / c * blocks,
                [&](int64_t begin, int64_t end) {
                    for (int64_t t = begin; t < end;) {  // the tasks of one image at a time
                        const int64_t n = t / blocks, last = std::min(end, (n + 1) * blocks);
                        global_avg_nhwc_channels(x + n * pixels * c, y + n * c, pixels, c, (t - n * blocks) * 16,
                                                 std::min(c, (last - n * blocks) * 16));
                        t = last;
                    }
                },
                std::max<int64_t>(1, 16384 / (16 * pixels)));
            return Status::ok();
        }
        if (st.nhwc_max) {
            const float* x = ctx.in(0).data_as<float>();
            float* y = ctx.out(0).data_as<float>();
            const Geometry& g = st.geom;
            std::atomic<bool> nan{false};
            // A chunk of rows is at least ~16K output values (min_chunk counts rows).
            const int64_t row = std::max<int64_t>(1, g.out[2] * g.channels_last);
            parallel_for(
                g.nc / g.channels_last * g.out[0] * g.out[1],
                [&](int64_t begin, int64_t end) {
                    if (max_pool_nhwc_rows(x, y, g, begin, end)) nan.store(true, std::memory_order_relaxed);
                },
                std::max<int64_t>(1, 16384 / row));
            if (nan.load()) reference_pool<float>(x, y, nullptr, g, true, false, 0, 0.0);
            return Status::ok();
        }
        return onednn_guard(*ctx.label, [&]() {
            void* sp = ScratchLayout::at(ctx.scratch, st.sp_off);
            void* dst = st.convert_out ? ScratchLayout::at(ctx.scratch, st.tmp_off) : ctx.out(0).data();
            // The scan first: it leaves the input's tail in cache for oneDNN.
            const float* x = ctx.in(0).data_as<float>();
            if (st.nan_check && has_nan(x, ctx.in(0).numel())) {
                reference_pool<float>(x, ctx.out(0).data_as<float>(), nullptr, st.geom, true, false, 0, 0.0);
                return Status::ok();
            }
            st.prim.execute({{DNNL_ARG_SRC, ctx.in(0).data()}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, sp}});
            if (st.convert_out)
                st.out_reorder.execute(
                    {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, ctx.out(0).data()}, {DNNL_ARG_SCRATCHPAD, sp}});
            return Status::ok();
        });
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        if (attrs_.channels_last || attrs_.nhwc_memory) return prepare_channels_last(ctx);
        const auto& x = ctx.input(0).dims;
        DataType dtype = ctx.input(0).dtype;
        if (x.size() < 3) {
            if (!(attrs_.global && x.size() == 2))
                return ctx.invalid("input rank must be >= 3, got " + std::to_string(x.size()));
        }
        if (x.size() > 5) return ctx.unsupported_here("at most 3 spatial dims are supported");
        if (dtype != DataType::kFloat32 && dtype != DataType::kFloat64 && dtype != DataType::kInt8 &&
            dtype != DataType::kUInt8)
            return ctx.unsupported_here("input type " + std::string(dtype_name(dtype)) + " is not supported");
        if (!attrs_.is_max && (dtype == DataType::kInt8 || dtype == DataType::kUInt8))
            return ctx.unsupported_here(ctx.node().op_type + " needs a float input");
        std::vector<int64_t> out, k, s, d, pl, pr, pr_eff;
        EDGEINFER_RETURN_IF_ERROR(pool_geometry(ctx, attrs_, x, out, k, s, d, pl, pr, pr_eff));
        std::vector<int64_t> y{x[0], x[1]};
        y.insert(y.end(), out.begin(), out.end());
        if (attrs_.global) y.resize(x.size(), 1);
        ctx.set_output(0, dtype, y);
        bool want_indices = ctx.num_outputs() > 1 && !ctx.node().outputs[1].empty();
        if (want_indices) ctx.set_output(1, DataType::kInt64, y);

        auto st = std::make_unique<PoolState>();
        st->dtype = dtype;
        st->empty = shape_numel(y) == 0;
        st->geom = make_geometry(x, out, k, s, d, pl, pr, false);
        bool ceil_tail_counts = !attrs_.is_max && attrs_.count_include_pad && pr_eff != pr;
        st->reference = want_indices || dtype != DataType::kFloat32 || ceil_tail_counts || x.size() < 3 || st->empty ||
                        attrs_.p > 0;
        if (!st->reference) {
            try {
                bind_pooling(ctx, attrs_, *st, plain_f32_md(x), plain_f32_md(y), k, s, d, pl, pr_eff);
            } catch (const dnnl::error&) {
                st->reference = true;  // a window oneDNN rejects (e.g. one lying entirely in padding)
            }
            st->nan_check = attrs_.is_max && !st->reference;
        }
        if (st->reference) ctx.set_implementation("cpu:reference");
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    // Channels-last float32/bfloat16 pooling through oneDNN (the passes only create it where oneDNN
    // applies): dims (N, spatial..., C), or NCHW dims over channels-last memory (x_layout = "NHWC").
    Status prepare_channels_last(PrepareContext& ctx) const {
        const auto& xs = ctx.input(0).dims;
        const DataType x_type = ctx.input(0).dtype;
        const bool int8 = x_type == DataType::kInt8 || x_type == DataType::kUInt8;
        if (x_type != DataType::kFloat32 && !(x_type == DataType::kBFloat16 && attrs_.channels_last) &&
            !(int8 && attrs_.is_max))
            return ctx.unsupported_here(
                "channels-last pooling takes float32 (or bfloat16 in a bf16 region, or 8-bit integers for max "
                "pooling), got " +
                std::string(dtype_name(x_type)));
        if (xs.size() < 3 || xs.size() > 5) return ctx.invalid("channels-last input must have rank 3 to 5");
        if (ctx.num_outputs() > 1 && !ctx.node().outputs[1].empty())
            return ctx.unsupported_here("channels-last pooling has no Indices output");
        std::vector<int64_t> x = xs;
        if (!attrs_.nhwc_memory) {
            x = {xs[0], xs.back()};
            x.insert(x.end(), xs.begin() + 1, xs.end() - 1);
        }
        std::vector<int64_t> out, k, s, d, pl, pr, pr_eff;
        EDGEINFER_RETURN_IF_ERROR(pool_geometry(ctx, attrs_, x, out, k, s, d, pl, pr, pr_eff));
        if (!attrs_.is_max && attrs_.count_include_pad && pr_eff != pr)
            return ctx.unsupported_here("channels-last AveragePool cannot count padding in a ceil_mode tail");
        std::vector<int64_t> y{x[0], x[1]};
        y.insert(y.end(), out.begin(), out.end());
        std::vector<int64_t> ys{y[0]};
        ys.insert(ys.end(), y.begin() + 2, y.end());
        ys.push_back(y[1]);
        const DataType y_type = int8 ? x_type : attrs_.bf16_output ? DataType::kBFloat16 : DataType::kFloat32;
        ctx.set_output(0, y_type, attrs_.nhwc_memory ? y : ys);
        auto st = std::make_unique<PoolState>();
        st->empty = shape_numel(y) == 0;
        if (st->empty) {
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        if (!attrs_.is_max && attrs_.global && x_type == DataType::kFloat32 && y_type == DataType::kFloat32) {
            st->geom = make_geometry(x, out, k, s, d, pl, pr, true);
            st->nhwc_gap = true;
            ctx.set_implementation("cpu:global_avg_pool_nhwc");
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        // (Not GlobalMaxPool: its one output row would leave all but one thread idle; oneDNN splits channels.)
        if (attrs_.is_max && !attrs_.global && x_type == DataType::kFloat32 && y_type == DataType::kFloat32) {
            st->geom = make_geometry(x, out, k, s, d, pl, pr, true);
            if (windows_hold_taps(st->geom)) {
                st->nhwc_max = true;
                ctx.set_implementation("cpu:max_pool_nhwc");
                ctx.set_state(std::move(st));
                return Status::ok();
            }
        }
        auto tag = channels_last_format(x.size());
        // oneDNN pools bf16 -> bf16 and f32 -> f32 only: the pooling runs in the input's type.
        const auto pool_dt = dnnl_type(x_type);
        bind_pooling(ctx, attrs_, *st, memory::desc(to_dnnl_dims(x), pool_dt, tag),
                     memory::desc(to_dnnl_dims(y), pool_dt, tag), k, s, d, pl, pr_eff);
        // bfloat16 regions keep oneDNN's maximum (it drops NaN); float32 in and out propagates NaN.
        st->nan_check = attrs_.is_max && x_type == DataType::kFloat32 && y_type == DataType::kFloat32;
        if (st->nan_check) st->geom = make_geometry(x, out, k, s, d, pl, pr, true);
        if (x_type != y_type) {
            st->convert_out = true;
            memory::desc out_md(to_dnnl_dims(y), dnnl_type(y_type), tag), reorder_sp;
            st->out_reorder = bound_reorder(st->dst_md, out_md, reorder_sp);
            ScratchLayout layout;
            st->tmp_off = layout.add(st->dst_md.get_size());
            st->sp_off = layout.add(std::max(st->scratchpad_md.get_size(), reorder_sp.get_size()));
            ctx.request_scratch(layout.total());
        }
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    PoolAttrs attrs_;
};

KernelDef pool_def(const std::string& op, bool is_max, bool global) {
    KernelDef def;
    def.op_type = op;
    def.since_version = 1;
    def.dtypes = {DataType::kFloat32, DataType::kFloat64};
    if (is_max) {
        def.dtypes.push_back(DataType::kInt8);
        def.dtypes.push_back(DataType::kUInt8);
    }
    def.supports = [is_max, global](const CreateContext& ctx) -> std::string {
        PoolAttrs a;
        return parse_pool_attrs(ctx.node, is_max, global, a);
    };
    def.factory = [is_max, global](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        PoolAttrs a;
        std::string why = parse_pool_attrs(ctx.node, is_max, global, a);
        if (!why.empty()) return ctx.invalid(why);
        return std::unique_ptr<Kernel>(new PoolKernel(std::move(a)));
    };
    return def;
}

// LRN across channels: y = x / (bias + alpha / size * sum(x^2 over the channel window))^beta.
struct LrnState : KernelState {
    bool empty = false;
    bool reference = false;
    BoundPrimitive prim;
    memory::desc md, scratchpad_md;
    int64_t n = 0, c = 0, inner = 0;
};

class LrnKernel final : public Kernel {
  public:
    LrnKernel(float alpha, float beta, float bias, int64_t size)
        : alpha_(alpha), beta_(beta), bias_(bias), size_(size) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() {
            const auto& x = ctx.input(0).dims;
            if (ctx.input(0).dtype != DataType::kFloat32) return ctx.unsupported_here("only float32 is supported");
            if (x.size() < 2) return ctx.invalid("input rank must be >= 2");
            ctx.set_output(0, DataType::kFloat32, x);
            auto st = std::make_unique<LrnState>();
            st->empty = shape_numel(x) == 0;
            st->n = x[0];
            st->c = x[1];
            st->inner = shape_numel(x) / std::max<int64_t>(1, x[0] * x[1]);
            // oneDNN's window matches ONNX's [c - floor((size-1)/2), c + ceil((size-1)/2)] for odd sizes.
            st->reference = st->empty || size_ % 2 == 0 || x.size() > 5;
            if (!st->reference) {
                st->md = plain_f32_md(x);
                dnnl::lrn_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::lrn_across_channels,
                                          st->md, size_, alpha_, beta_, bias_);
                dnnl::lrn_forward::primitive_desc pd(d, user_scratch_attr(), onednn_engine());
                st->scratchpad_md = pd.scratchpad_desc();
                st->prim = BoundPrimitive(dnnl::lrn_forward(pd));
                st->prim.arg(DNNL_ARG_SRC, st->md);
                st->prim.arg(DNNL_ARG_DST, st->md);
                st->prim.arg(DNNL_ARG_SCRATCHPAD, st->scratchpad_md);
                ctx.request_scratch(st->scratchpad_md.get_size());
            }
            ctx.set_state(std::move(st));
            return Status::ok();
        });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<LrnState>();
        if (st.empty) return Status::ok();
        if (st.reference) {
            run_reference(ctx, st);
            return Status::ok();
        }
        return onednn_guard(*ctx.label, [&]() {
            st.prim.execute({{DNNL_ARG_SRC, ctx.in(0).data()},
                             {DNNL_ARG_DST, ctx.out(0).data()},
                             {DNNL_ARG_SCRATCHPAD, ctx.scratch}});
            return Status::ok();
        });
    }

  private:
    void run_reference(RunContext& ctx, const LrnState& st) const {
        const float* x = ctx.in(0).data_as<float>();
        float* y = ctx.out(0).data_as<float>();
        int64_t lo = (size_ - 1) / 2, hi = size_ / 2;  // floor((size-1)/2), ceil((size-1)/2)
        int64_t c_count = st.c, inner = st.inner;
        parallel_for(st.n * st.c * st.inner, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) {
                int64_t c = (i / inner) % c_count;
                int64_t base = i - c * inner;
                double sum = 0.0;
                for (int64_t j = std::max<int64_t>(0, c - lo); j <= std::min(c_count - 1, c + hi); ++j) {
                    double v = x[base + j * inner];
                    sum += v * v;
                }
                y[i] = static_cast<float>(x[i] / std::pow(bias_ + alpha_ / static_cast<double>(size_) * sum, beta_));
            }
        });
    }

    float alpha_, beta_, bias_;
    int64_t size_;
};

// MaxUnpool-9/11: scatters X into a zero tensor at the flattened indices MaxPool returned (offsets
// into the whole tensor, batch and channel included). Those offsets are into the default shape,
// (in - 1) * stride + kernel - pads per spatial axis; a larger output_shape (the optional input)
// keeps each element's coordinates, so the extra rows and columns stay zero.
struct MaxUnpoolState : KernelState {
    std::vector<int64_t> inferred, out;  // equal unless output_shape differs
};

class MaxUnpoolKernel final : public Kernel {
  public:
    MaxUnpoolKernel(std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads)
        : kernel_(std::move(kernel)), strides_(std::move(strides)), pads_(std::move(pads)) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const TensorDesc& idx = ctx.input(1);
        const size_t spatial = kernel_.size();
        if (x.dims.size() != spatial + 2)
            return ctx.invalid("X must have rank " + std::to_string(spatial + 2) + " (kernel_shape has " +
                               std::to_string(spatial) + " axes), got " + shape_to_string(x.dims));
        if (idx.dtype != DataType::kInt64 || idx.dims != x.dims)
            return ctx.invalid("I must be int64 with X's shape " + shape_to_string(x.dims) + ", got " +
                               std::string(dtype_name(idx.dtype)) + " " + shape_to_string(idx.dims));
        if (dtype_size(x.dtype) == 0) return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)));
        std::vector<int64_t> out = x.dims;
        for (size_t i = 0; i < spatial; ++i)
            out[i + 2] = (x.dims[i + 2] - 1) * strides_[i] + kernel_[i] - pads_[i] - pads_[i + spatial];
        auto st = std::make_unique<MaxUnpoolState>();
        st->inferred = out;
        st->out = out;
        if (ctx.has_input(2)) {
            const Tensor* shape = ctx.value(2);
            if (!shape) return ctx.defer();
            std::vector<int64_t> given;
            if (!read_int_values(*shape, given) || given.size() != out.size())
                return ctx.invalid("output_shape must hold " + std::to_string(out.size()) + " integers");
            for (size_t i = 0; i < out.size(); ++i)
                if (given[i] < out[i] || (i < 2 && given[i] != out[i]))
                    return ctx.invalid("output_shape " + shape_to_string(given) + " does not fit X " +
                                       shape_to_string(x.dims));
            st->out = given;
        }
        for (int64_t d : out)
            if (d < 0) return ctx.invalid("the output shape " + shape_to_string(out) + " is negative");
        ctx.set_output(0, x.dtype, st->out);
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        const int64_t* idx = ctx.in(1).data_as<int64_t>();
        Tensor& y = ctx.out(0);
        std::memset(y.data(), 0, y.nbytes());
        const auto& st = ctx.state_as<MaxUnpoolState>();
        const int64_t n = x.numel(), limit = shape_numel(st.inferred);
        const bool remap = st.inferred != st.out;
        const size_t es = dtype_size(x.dtype());
        const auto* src = static_cast<const uint8_t*>(x.data());
        auto* dst = static_cast<uint8_t*>(y.data());
        for (int64_t i = 0; i < n; ++i) {
            if (idx[i] < 0 || idx[i] >= limit)
                return ctx.error(StatusCode::kOutOfRange, "index " + std::to_string(idx[i]) + " at I[" +
                                                              std::to_string(i) + "] is outside the output's " +
                                                              std::to_string(limit) + " elements");
            int64_t to = idx[i];
            if (remap) {  // coordinates in the default shape, offset in the given one
                int64_t rest = idx[i], stride = 1;
                to = 0;
                for (size_t d = st.out.size(); d-- > 0;) {
                    to += rest % st.inferred[d] * stride;
                    rest /= st.inferred[d];
                    stride *= st.out[d];
                }
            }
            std::memcpy(dst + static_cast<size_t>(to) * es, src + static_cast<size_t>(i) * es, es);
        }
        return Status::ok();
    }

  private:
    std::vector<int64_t> kernel_, strides_, pads_;
};

}  // namespace

void register_pool_kernels(KernelRegistry& registry) {
    registry.add(pool_def("MaxPool", true, false));
    registry.add(pool_def("AveragePool", false, false));
    registry.add(pool_def("GlobalMaxPool", true, true));
    registry.add(pool_def("GlobalAveragePool", false, true));
    registry.add(pool_def("LpPool", false, false));  // ceil_mode (opset 18) included
    registry.add(pool_def("GlobalLpPool", false, true));
    // Channels-last forms (edgeinfer domain; bfloat16 inside bf16 regions).
    for (const auto& [op, is_max, global] :
         {std::tuple{"MaxPool", true, false}, std::tuple{"AveragePool", false, false},
          std::tuple{"GlobalMaxPool", true, true}, std::tuple{"GlobalAveragePool", false, true}}) {
        KernelDef def = pool_def(op, is_max, global);
        def.domain = "edgeinfer";
        def.dtypes = {DataType::kFloat32, DataType::kBFloat16};
        registry.add(std::move(def));
    }
    // ONNX Runtime's com.microsoft:NhwcMaxPool (its NHWC transformer, quantized models): MaxPool's attributes
    // over (N, spatial..., C) 8-bit input, output in the input's type and layout.
    KernelDef nhwc = pool_def("NhwcMaxPool", true, false);
    nhwc.domain = "com.microsoft";
    nhwc.dtypes = {DataType::kUInt8, DataType::kInt8};
    registry.add(std::move(nhwc));

    KernelDef lrn;
    lrn.op_type = "LRN";
    lrn.since_version = 1;
    lrn.dtypes = float_types();
    lrn.supports = [](const CreateContext& ctx) -> std::string {
        const ir::Attribute* size = ctx.node.find_attribute("size");
        if (size == nullptr || size->i < 1) return "attribute size (>= 1) is required";
        return "";
    };
    lrn.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Node& n = ctx.node;
        int64_t size = n.attr_int("size", 0);
        if (size < 1) return ctx.invalid("attribute size (>= 1) is required");
        return std::unique_ptr<Kernel>(
            new LrnKernel(n.attr_float("alpha", 1e-4f), n.attr_float("beta", 0.75f), n.attr_float("bias", 1.0f), size));
    };
    registry.add(std::move(lrn));

    KernelDef unpool;
    unpool.op_type = "MaxUnpool";
    unpool.since_version = 9;
    unpool.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Node& n = ctx.node;
        std::vector<int64_t> kernel = n.attr_ints("kernel_shape");
        if (kernel.empty()) return ctx.invalid("attribute kernel_shape is required");
        const size_t s = kernel.size();
        std::vector<int64_t> strides = n.attr_ints("strides", std::vector<int64_t>(s, 1));
        std::vector<int64_t> pads = n.attr_ints("pads", std::vector<int64_t>(2 * s, 0));
        if (strides.size() != s || pads.size() != 2 * s)
            return ctx.invalid("strides must have " + std::to_string(s) + " values and pads " + std::to_string(2 * s));
        for (size_t i = 0; i < s; ++i)
            if (kernel[i] < 1 || strides[i] < 1 || pads[i] < 0 || pads[i + s] < 0)
                return ctx.invalid("kernel_shape and strides must be >= 1 and pads >= 0");
        return std::unique_ptr<Kernel>(new MaxUnpoolKernel(std::move(kernel), std::move(strides), std::move(pads)));
    };
    registry.add(std::move(unpool));
}

}  // namespace edgeinfer::kernels::cpu
