// Kernels: com.microsoft Attention (packed QKV projection + multi-head self-attention) and MultiHeadAttention
// (separate Q, K, V with an optional packed bias), as ONNX Runtime's optimizer writes them for BERT-like
// encoders (docs/operators.md, "com.microsoft").
//
// Attention      inputs input (B, S, D), weights (D, Hq + Hk + Hv), bias (Hq + Hk + Hv, optional),
//                mask_index (int32, optional), attention_bias (optional, input 5); output (B, S, Hv).
//                Attributes num_heads, qkv_hidden_sizes (default H, H, H), unidirectional, scale
//                (default 1/sqrt(head size)), mask_filter_value (default -10000).
// MultiHeadAttention  inputs query (B, S, H), key (B, L, H), value (B, L, Hv), bias (H + H + Hv, optional),
//                key_padding_mask (int32, optional), attention_bias (optional); output (B, S, Hv).
//
// mask_index / key_padding_mask forms (T = key length): (B) key lengths (positions >= length masked),
// (2B) end then start positions, (B, T) raw 0/1 masks, (B, S, T) raw masks. A masked position adds
// mask_filter_value to its score; unidirectional masks key positions after the query's with the lowest
// float, as ONNX Runtime does. attention_bias (B or 1, N or 1, S, T) is added to the scores. past / present
// (KV cache) inputs and outputs are not supported and say so.
//
// Every product runs through oneDNN matmul: the QKV projection (constant weights packed once, bias fused),
// scores = scale * Q K^T and context = softmax(scores) V batched over (batch, head) on head-major copies
// in scratch. The head split/merge, the mask and the softmax are plain loops.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

// One matmul bound in prepare; constant weights packed into the layout oneDNN prefers.
struct BoundMatmul {
    BoundPrimitive prim;
    memory::desc scratchpad;
    dnnl::memory packed;  // constant weights in the primitive's layout (empty when given at run)
    bool has_bias = false;

    void run(void* sp, const void* src, const void* w, const void* bias, void* dst) const {
        prim.execute({{DNNL_ARG_SRC, src},
                      {DNNL_ARG_WEIGHTS, packed ? nullptr : w},
                      {DNNL_ARG_BIAS, has_bias ? bias : nullptr},
                      {DNNL_ARG_DST, dst},
                      {DNNL_ARG_SCRATCHPAD, sp}});
    }
};

BoundMatmul make_matmul(const memory::desc& src, const memory::desc& w_plain, const memory::desc& bias,
                        const memory::desc& dst, float scale, const Tensor* constant_w, PackedWeightsCache* cache,
                        std::string* impl = nullptr) {
    dnnl::primitive_attr attr = user_scratch_attr();
    if (scale != 1.0f) attr.set_output_scales(0, {scale});
    auto& eng = onednn_engine();
    dnnl::matmul::primitive_desc pd;
    bool built = false;
    if (constant_w != nullptr) {
        memory::desc any(w_plain.dims(), memory::data_type::f32, memory::format_tag::any);
        try {
            pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, any, bias, dst), attr, eng);
            built = true;
        } catch (const dnnl::error&) {
            built = false;
        }
    }
    if (!built) pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, w_plain, bias, dst), attr, eng);
    BoundMatmul m;
    m.scratchpad = pd.scratchpad_desc();
    m.prim = BoundPrimitive(dnnl::matmul(pd));
    m.prim.arg(DNNL_ARG_SRC, src);
    if (constant_w != nullptr) {
        m.packed = cache->get(w_plain, constant_w->data(), pd.weights_desc());
        m.prim.fixed(DNNL_ARG_WEIGHTS, m.packed);
    } else {
        m.prim.arg(DNNL_ARG_WEIGHTS, pd.weights_desc());
    }
    m.has_bias = !bias.is_zero();
    if (m.has_bias) m.prim.arg(DNNL_ARG_BIAS, bias);
    m.prim.arg(DNNL_ARG_DST, dst);
    m.prim.arg(DNNL_ARG_SCRATCHPAD, m.scratchpad);
    if (impl != nullptr) {
        const char* info = pd.impl_info_str();
        *impl = std::string("onednn:") + (info ? info : "?");
    }
    return m;
}

struct AttentionAttrs {
    int64_t num_heads = 0;
    std::vector<int64_t> qkv_hidden_sizes;  // Attention only
    bool unidirectional = false;
    float scale = 0.0f;  // 0: 1/sqrt(head size)
    float mask_filter_value = -10000.0f;
};

enum class MaskKind { kNone, kKeyLength, kEndStart, kRaw2d, kRaw3d };

struct AttentionState : KernelState {
    bool empty = false;
    int64_t b = 0, s = 0, t = 0, n = 0, hd = 0, hv = 0;
    // Attention: projected QKV rows of q_row floats (Q at 0, K at hk_off, V at hv_off).
    BoundMatmul proj;
    int64_t qkv_row = 0, k_off = 0, v_off = 0;
    BoundMatmul scores, context;
    MaskKind mask = MaskKind::kNone;
    bool bias_input = false;         // attention_bias present
    int64_t bias_b = 1, bias_n = 1;  // its leading dims (1 where broadcast)
    size_t qkv_off = 0, q_off = 0, kh_off = 0, vh_off = 0, p_off = 0, ctx_off = 0, mask_off = 0, sp_off = 0;
};

// dst[b, h, s, d] = src[b, s, h * dim + d] (+ bias[h * dim + d]): one (batch, token) row of `row` floats
// holds every head's slice.
void split_heads(const float* src, int64_t row, const float* bias, int64_t batch, int64_t seq, int64_t heads,
                 int64_t dim, float* dst) {
    parallel_for(
        batch * heads * seq,
        [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) {
                const int64_t s = i % seq, h = (i / seq) % heads, b = i / (seq * heads);
                const float* in = src + (b * seq + s) * row + h * dim;
                float* out = dst + i * dim;
                if (bias) {
                    const float* bh = bias + h * dim;
                    for (int64_t d = 0; d < dim; ++d) out[d] = in[d] + bh[d];
                } else {
                    std::memcpy(out, in, static_cast<size_t>(dim) * sizeof(float));
                }
            }
        },
        256);
}

// dst[b, s, h * dim + d] = src[b, h, s, d].
void merge_heads(const float* src, int64_t batch, int64_t seq, int64_t heads, int64_t dim, float* dst) {
    parallel_for(
        batch * heads * seq,
        [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) {
                const int64_t s = i % seq, h = (i / seq) % heads, b = i / (seq * heads);
                std::memcpy(dst + (b * seq + s) * heads * dim + h * dim, src + i * dim,
                            static_cast<size_t>(dim) * sizeof(float));
            }
        },
        256);
}

// Fills the additive (B, S, T) mask from mask_index; returns an error for data out of range.
Status fill_mask(const RunContext& ctx, const AttentionState& st, const AttentionAttrs& a, const int32_t* mi,
                 float* mask) {
    const int64_t B = st.b, S = st.s, T = st.t;
    const float filter = a.mask_filter_value;
    for (int64_t b = 0; b < B; ++b) {
        float* mb = mask + b * S * T;
        for (int64_t s = 0; s < S; ++s) {
            float* row = mb + s * T;
            switch (st.mask) {
                case MaskKind::kNone:
                    for (int64_t t = 0; t < T; ++t) row[t] = 0.0f;
                    break;
                case MaskKind::kKeyLength:
                case MaskKind::kEndStart: {
                    const int64_t end_pos = mi[b];
                    const int64_t start_pos = st.mask == MaskKind::kEndStart ? mi[b + B] : 0;
                    if (end_pos < 0 || start_pos < 0)
                        return ctx.error(StatusCode::kInvalidArgument,
                                         "mask_index holds a negative position (" +
                                             std::to_string(std::min(end_pos, start_pos)) + ")");
                    for (int64_t t = 0; t < T; ++t) row[t] = (t >= end_pos || t < start_pos) ? filter : 0.0f;
                    break;
                }
                case MaskKind::kRaw2d:
                    for (int64_t t = 0; t < T; ++t) row[t] = mi[b * T + t] > 0 ? 0.0f : filter;
                    break;
                case MaskKind::kRaw3d:
                    for (int64_t t = 0; t < T; ++t) row[t] = mi[(b * S + s) * T + t] > 0 ? 0.0f : filter;
                    break;
            }
            if (a.unidirectional)
                for (int64_t t = s + 1; t < T; ++t) row[t] = std::numeric_limits<float>::lowest();
        }
    }
    return Status::ok();
}

// scores[b, h, s, :] += mask[b, s, :] (+ attention_bias), then softmax over the last dim, in place.
void masked_softmax(const AttentionState& st, const float* mask, const float* attn_bias, float* scores) {
    const int64_t B = st.b, N = st.n, S = st.s, T = st.t;
    parallel_for(
        B * N * S,
        [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) {
                const int64_t s = i % S, h = (i / S) % N, b = i / (S * N);
                float* row = scores + i * T;
                const float* m = mask ? mask + (b * S + s) * T : nullptr;
                const float* ab =
                    attn_bias ? attn_bias + (((b % st.bias_b) * st.bias_n + h % st.bias_n) * S + s) * T : nullptr;
                float mx = std::numeric_limits<float>::lowest();
                for (int64_t t = 0; t < T; ++t) {
                    float v = row[t];
                    if (ab) v += ab[t];
                    if (m) v += m[t];
                    row[t] = v;
                    mx = std::max(mx, v);
                }
                float sum = 0.0f;
                for (int64_t t = 0; t < T; ++t) {
                    row[t] = std::exp(row[t] - mx);
                    sum += row[t];
                }
                const float inv = 1.0f / sum;
                for (int64_t t = 0; t < T; ++t) row[t] *= inv;
            }
        },
        64);
}

// Shared by both ops: validates the mask and attention_bias inputs, builds the two batched matmuls,
// lays out scratch. `qkv_proj_bytes` reserves the Attention projection's output first.
Status prepare_core(PrepareContext& ctx, const AttentionAttrs& a, AttentionState& st, size_t mask_input,
                    size_t bias_input, size_t qkv_proj_bytes, size_t proj_scratchpad) {
    const int64_t B = st.b, S = st.s, T = st.t, N = st.n;
    if (ctx.has_input(mask_input)) {
        const TensorDesc& m = ctx.input(mask_input);
        if (m.dtype != DataType::kInt32)
            return ctx.invalid("mask must be int32, got " + std::string(dtype_name(m.dtype)));
        const auto& d = m.dims;
        if (d.size() == 1 && d[0] == B)
            st.mask = MaskKind::kKeyLength;
        else if (d.size() == 1 && d[0] == 2 * B)
            st.mask = MaskKind::kEndStart;
        else if (d == std::vector<int64_t>{B, T})
            st.mask = MaskKind::kRaw2d;
        else if (d == std::vector<int64_t>{B, S, T})
            st.mask = MaskKind::kRaw3d;
        else
            return ctx.unsupported_here("mask of shape " + shape_to_string(d) + " (supported: (" + std::to_string(B) +
                                        "), (" + std::to_string(2 * B) + "), " + shape_to_string({B, T}) + ", " +
                                        shape_to_string({B, S, T}) + ")");
    }
    if (ctx.has_input(bias_input)) {
        const TensorDesc& ab = ctx.input(bias_input);
        const auto& d = ab.dims;
        if (ab.dtype != DataType::kFloat32 || d.size() != 4 || (d[0] != 1 && d[0] != B) || (d[1] != 1 && d[1] != N) ||
            d[2] != S || d[3] != T)
            return ctx.invalid("attention_bias of shape " + shape_to_string(d) + " must be float32 (" +
                               std::to_string(B) + " or 1, " + std::to_string(N) + " or 1, " + std::to_string(S) +
                               ", " + std::to_string(T) + ")");
        st.bias_input = true;
        st.bias_b = d[0];
        st.bias_n = d[1];
    }
    const float scale = a.scale != 0.0f ? a.scale : 1.0f / std::sqrt(static_cast<float>(st.hd));
    const int64_t BN = B * N;
    // scores (BN, S, T) = scale * Q (BN, S, hd) x K^T (K stored (BN, T, hd)).
    memory::desc q_md = plain_f32_md({BN, S, st.hd});
    memory::desc kt_md(to_dnnl_dims({BN, st.hd, T}), memory::data_type::f32, memory::dims{T * st.hd, 1, st.hd});
    memory::desc scores_md = plain_f32_md({BN, S, T});
    std::string impl;
    st.scores = make_matmul(q_md, kt_md, memory::desc(), scores_md, scale, nullptr, nullptr, &impl);
    // context (BN, S, hv) = P (BN, S, T) x V (BN, T, hv).
    st.context = make_matmul(scores_md, plain_f32_md({BN, T, st.hv}), memory::desc(), plain_f32_md({BN, S, st.hv}),
                             1.0f, nullptr, nullptr);
    ScratchLayout layout;
    auto bytes = [](int64_t n) { return static_cast<size_t>(n) * sizeof(float); };
    st.qkv_off = layout.add(qkv_proj_bytes);
    st.q_off = layout.add(bytes(BN * S * st.hd));
    st.kh_off = layout.add(bytes(BN * T * st.hd));
    st.vh_off = layout.add(bytes(BN * T * st.hv));
    st.p_off = layout.add(bytes(BN * S * T));
    st.ctx_off = layout.add(bytes(BN * S * st.hv));
    st.mask_off = layout.add(bytes(B * S * T));
    st.sp_off =
        layout.add(std::max({st.scores.scratchpad.get_size(), st.context.scratchpad.get_size(), proj_scratchpad}));
    ctx.request_scratch(layout.total());
    ctx.set_implementation(impl);
    return Status::ok();
}

// Runs the attention on already projected Q, K, V rows; bias (Hq + Hk + Hv) optional.
Status run_core(RunContext& ctx, const AttentionState& st, const AttentionAttrs& a, const float* q, int64_t q_row,
                const float* k, int64_t k_row, const float* v, int64_t v_row, const float* bias, size_t mask_input,
                size_t bias_input) {
    void* base = ctx.scratch;
    auto at = [&](size_t off) { return static_cast<float*>(ScratchLayout::at(base, off)); };
    float *qh = at(st.q_off), *kh = at(st.kh_off), *vh = at(st.vh_off), *p = at(st.p_off), *c = at(st.ctx_off);
    const int64_t H = st.n * st.hd;
    split_heads(q, q_row, bias, st.b, st.s, st.n, st.hd, qh);
    split_heads(k, k_row, bias ? bias + H : nullptr, st.b, st.t, st.n, st.hd, kh);
    split_heads(v, v_row, bias ? bias + 2 * H : nullptr, st.b, st.t, st.n, st.hv, vh);
    float* mask = nullptr;
    if (st.mask != MaskKind::kNone || a.unidirectional) {
        mask = at(st.mask_off);
        const int32_t* mi = ctx.has_in(mask_input) ? ctx.in(mask_input).data_as<int32_t>() : nullptr;
        EDGEINFER_RETURN_IF_ERROR(fill_mask(ctx, st, a, mi, mask));
    }
    void* sp = ScratchLayout::at(base, st.sp_off);
    EDGEINFER_RETURN_IF_ERROR(onednn_guard(*ctx.label, [&]() {
        st.scores.run(sp, qh, kh, nullptr, p);
        return Status::ok();
    }));
    masked_softmax(st, mask, st.bias_input ? ctx.in(bias_input).data_as<float>() : nullptr, p);
    EDGEINFER_RETURN_IF_ERROR(onednn_guard(*ctx.label, [&]() {
        st.context.run(sp, p, vh, nullptr, c);
        return Status::ok();
    }));
    merge_heads(c, st.b, st.s, st.n, st.hv, ctx.out(0).data_as<float>());
    return Status::ok();
}

Status check_float(const PrepareContext& ctx, std::initializer_list<size_t> inputs) {
    for (size_t i : inputs)
        if (ctx.has_input(i) && ctx.input(i).dtype != DataType::kFloat32)
            return ctx.unsupported_here("input " + std::to_string(i) + " has type " +
                                        std::string(dtype_name(ctx.input(i).dtype)) + " (float32 only)");
    return Status::ok();
}

Status reject_kv_cache(const PrepareContext& ctx, std::initializer_list<size_t> past_inputs) {
    for (size_t i : past_inputs)
        if (ctx.has_input(i)) return ctx.unsupported_here("past key/value inputs (KV cache) are not supported");
    for (size_t i = 1; i < ctx.num_outputs(); ++i)
        if (!ctx.node().outputs[i].empty())
            return ctx.unsupported_here("present/extra outputs (KV cache) are not supported");
    return Status::ok();
}

// ---- Attention ------------------------------------------------------------------------------------
class AttentionKernel final : public Kernel {
  public:
    AttentionKernel(AttentionAttrs attrs, const Tensor* constant_weights) : a_(std::move(attrs)) {
        if (constant_weights != nullptr && constant_weights->dtype() == DataType::kFloat32)
            weights_ = *constant_weights;
    }

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<AttentionState>();
        if (st.empty) return Status::ok();
        float* qkv = static_cast<float*>(ScratchLayout::at(ctx.scratch, st.qkv_off));
        EDGEINFER_RETURN_IF_ERROR(onednn_guard(*ctx.label, [&]() {
            st.proj.run(ScratchLayout::at(ctx.scratch, st.sp_off), ctx.in(0).data(), ctx.in(1).data(),
                        ctx.has_in(2) ? ctx.in(2).data() : nullptr, qkv);
            return Status::ok();
        }));
        return run_core(ctx, st, a_, qkv, st.qkv_row, qkv + st.k_off, st.qkv_row, qkv + st.v_off, st.qkv_row, nullptr,
                        3, 5);
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        EDGEINFER_RETURN_IF_ERROR(check_float(ctx, {0, 1, 2}));
        EDGEINFER_RETURN_IF_ERROR(reject_kv_cache(ctx, {4, 6}));
        if (!ctx.has_input(1)) return ctx.invalid("weights are required");
        const auto& x = ctx.input(0).dims;
        const auto& w = ctx.input(1).dims;
        if (x.size() != 3) return ctx.invalid("input must be (batch, sequence, hidden), got " + shape_to_string(x));
        if (w.size() != 2 || w[0] != x[2])
            return ctx.invalid("weights of shape " + shape_to_string(w) + " do not match input " + shape_to_string(x));
        int64_t hq = w[1] / 3, hk = hq, hvs = hq;
        if (!a_.qkv_hidden_sizes.empty()) {
            if (a_.qkv_hidden_sizes.size() != 3) return ctx.invalid("qkv_hidden_sizes must have 3 values");
            hq = a_.qkv_hidden_sizes[0];
            hk = a_.qkv_hidden_sizes[1];
            hvs = a_.qkv_hidden_sizes[2];
        } else if (w[1] % 3 != 0) {
            return ctx.invalid("weights' second dim " + std::to_string(w[1]) + " is not 3 x hidden");
        }
        if (hq != hk || hq + hk + hvs != w[1])
            return ctx.invalid("qkv_hidden_sizes (" + std::to_string(hq) + ", " + std::to_string(hk) + ", " +
                               std::to_string(hvs) + ") do not match weights " + shape_to_string(w));
        if (hq % a_.num_heads != 0 || hvs % a_.num_heads != 0)
            return ctx.invalid("hidden sizes are not divisible by num_heads " + std::to_string(a_.num_heads));
        if (ctx.has_input(2) && ctx.input(2).dims != std::vector<int64_t>{w[1]})
            return ctx.invalid("bias of shape " + shape_to_string(ctx.input(2).dims) + ", expected (" +
                               std::to_string(w[1]) + ")");
        ctx.set_output(0, DataType::kFloat32, {x[0], x[1], hvs});
        auto st = std::make_unique<AttentionState>();
        st->b = x[0];
        st->s = st->t = x[1];
        st->n = a_.num_heads;
        st->hd = hq / a_.num_heads;
        st->hv = hvs / a_.num_heads;
        st->qkv_row = w[1];
        st->k_off = hq;
        st->v_off = hq + hk;
        st->empty = shape_numel(x) == 0 || w[1] == 0;
        if (st->empty) {
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        const int64_t rows = x[0] * x[1];
        memory::desc bias_md;
        if (ctx.has_input(2)) bias_md = plain_f32_md({1, w[1]});
        st->proj = make_matmul(plain_f32_md({rows, x[2]}), plain_f32_md(w), bias_md, plain_f32_md({rows, w[1]}), 1.0f,
                               weights_.empty() ? nullptr : &weights_, &cache_);
        EDGEINFER_RETURN_IF_ERROR(prepare_core(ctx, a_, *st, 3, 5, static_cast<size_t>(rows * w[1]) * sizeof(float),
                                               st->proj.scratchpad.get_size()));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    AttentionAttrs a_;
    Tensor weights_;
    mutable PackedWeightsCache cache_;
};

// ---- MultiHeadAttention ---------------------------------------------------------------------------
class MultiHeadAttentionKernel final : public Kernel {
  public:
    explicit MultiHeadAttentionKernel(AttentionAttrs attrs) : a_(std::move(attrs)) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<AttentionState>();
        if (st.empty) return Status::ok();
        const int64_t h = st.n * st.hd;
        return run_core(ctx, st, a_, ctx.in(0).data_as<float>(), h, ctx.in(1).data_as<float>(), h,
                        ctx.in(2).data_as<float>(), st.n * st.hv, ctx.has_in(3) ? ctx.in(3).data_as<float>() : nullptr,
                        4, 5);
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        EDGEINFER_RETURN_IF_ERROR(check_float(ctx, {0, 1, 2, 3}));
        EDGEINFER_RETURN_IF_ERROR(reject_kv_cache(ctx, {6, 7}));
        if (!ctx.has_input(1) || !ctx.has_input(2))
            return ctx.unsupported_here("packed QKV / KV forms (key or value omitted) are not supported");
        const auto& q = ctx.input(0).dims;
        const auto& k = ctx.input(1).dims;
        const auto& v = ctx.input(2).dims;
        if (q.size() != 3 || k.size() != 3 || v.size() != 3)
            return ctx.unsupported_here("query, key and value must be 3-D (batch, sequence, hidden), got " +
                                        shape_to_string(q) + ", " + shape_to_string(k) + ", " + shape_to_string(v));
        if (k[0] != q[0] || v[0] != q[0] || k[1] != v[1] || k[2] != q[2])
            return ctx.invalid("query " + shape_to_string(q) + ", key " + shape_to_string(k) + " and value " +
                               shape_to_string(v) + " do not match");
        if (q[2] % a_.num_heads != 0 || v[2] % a_.num_heads != 0)
            return ctx.invalid("hidden sizes are not divisible by num_heads " + std::to_string(a_.num_heads));
        if (ctx.has_input(3) && ctx.input(3).dims != std::vector<int64_t>{2 * q[2] + v[2]})
            return ctx.invalid("bias of shape " + shape_to_string(ctx.input(3).dims) + ", expected (" +
                               std::to_string(2 * q[2] + v[2]) + ")");
        ctx.set_output(0, DataType::kFloat32, {q[0], q[1], v[2]});
        auto st = std::make_unique<AttentionState>();
        st->b = q[0];
        st->s = q[1];
        st->t = k[1];
        st->n = a_.num_heads;
        st->hd = q[2] / a_.num_heads;
        st->hv = v[2] / a_.num_heads;
        st->empty = shape_numel(q) == 0 || shape_numel(v) == 0 || k[1] == 0;
        if (st->empty) {
            if (shape_numel(q) != 0 && v[2] != 0) return ctx.unsupported_here("empty key sequence");
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        EDGEINFER_RETURN_IF_ERROR(prepare_core(ctx, a_, *st, 4, 5, 0, 0));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    AttentionAttrs a_;
};

std::string parse_attention_attrs(const ir::Node& n, AttentionAttrs& a) {
    a.num_heads = n.attr_int("num_heads", 0);
    if (a.num_heads < 1) return "attribute num_heads must be >= 1";
    a.qkv_hidden_sizes = n.attr_ints("qkv_hidden_sizes");
    a.unidirectional = n.attr_int("unidirectional", 0) != 0;
    a.scale = n.attr_float("scale", 0.0f);
    a.mask_filter_value = n.attr_float("mask_filter_value", -10000.0f);
    if (n.attr_int("do_rotary", 0) != 0) return "do_rotary is not supported";
    if (n.attr_int("past_present_share_buffer", 0) != 0) return "past_present_share_buffer is not supported";
    return "";
}

KernelDef attention_def(const char* op, bool packed) {
    KernelDef d;
    d.domain = "com.microsoft";
    d.op_type = op;
    d.since_version = 1;
    d.dtypes = float_types();
    d.supports = [](const CreateContext& ctx) {
        AttentionAttrs a;
        return parse_attention_attrs(ctx.node, a);
    };
    d.factory = [packed](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        AttentionAttrs a;
        std::string why = parse_attention_attrs(ctx.node, a);
        if (!why.empty()) return ctx.invalid(why);
        if (packed) {
            const Tensor* w = ctx.constant_inputs.size() > 1 ? ctx.constant_inputs[1] : nullptr;
            return std::unique_ptr<Kernel>(new AttentionKernel(std::move(a), w));
        }
        return std::unique_ptr<Kernel>(new MultiHeadAttentionKernel(std::move(a)));
    };
    return d;
}

}  // namespace

void register_attention_kernels(KernelRegistry& registry) {
    registry.add(attention_def("Attention", true));
    registry.add(attention_def("MultiHeadAttention", false));
}

}  // namespace edgeinfer::kernels::cpu
