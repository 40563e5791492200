// Kernels: Gemm, edgeinfer:FusedGemm (Gemm + activation post-ops), MatMul and com.microsoft:FusedMatMul
// (alpha * op(A) op(B)) via dnnl::matmul (constant B pre-packed in the layout oneDNN prefers).
//
// Precision policy (CreateContext::precision == kBf16, see docs/precision.md): a Gemm or MatMul
// whose B is a constant (a linear layer) computes in bf16 with fp32 accumulation: B is packed to
// bf16 once, A is reordered to bf16 in scratch, Y stays fp32. Products of two activations
// (attention scores, A x V) keep fp32: their range is data dependent.
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

struct MatmulState : KernelState {
    bool empty = false;   // output has no elements
    bool zero_k = false;  // K == 0: the product is zero
    BoundPrimitive prim;
    memory::desc src_md, weights_md, weights_plain, dst_md, bias_md, scratchpad_md;
    dnnl::memory packed_weights;  // constant B already in weights_md
    bool has_bias = false;
    // bf16: A is reordered (f32 -> bf16) into scratch at offset 0; the primitive's scratchpad follows.
    bool convert_src = false;
    BoundPrimitive src_reorder;
    memory::desc src_reorder_sp;
    size_t sp_off = 0;
    std::string impl;
    // Gemm with C added through a sum post-op: dst is first filled with C broadcast to (M, N).
    bool prefill_c = false;
    float beta = 0.0f;
    int64_t m = 0, n = 0;
    std::vector<int64_t> c_strides;  // strides of C broadcast to (M, N)
};

// Builds the matmul primitive; constant B is packed into the layout oneDNN picks for format `any`
// (falling back to B's own layout when no implementation takes `any`). With `bf16` (constant B only)
// A and B are bf16 and A is converted in run; falls back to fp32 where oneDNN has no bf16 matmul.
// Requests the scratch the state needs.
Status build_matmul(PrepareContext& ctx, MatmulState& st, const memory::desc& src, const memory::desc& b_plain,
                    const memory::desc& dst, const memory::desc& bias, const dnnl::primitive_attr& attr,
                    const Tensor* constant_b, PackedWeightsCache& cache, bool bf16) {
    auto& eng = onednn_engine();
    st.weights_plain = b_plain;
    dnnl::matmul::primitive_desc pd;
    bool built = false;
    std::string note;
    memory::desc src_used = src;
    if (bf16 && constant_b != nullptr) {
        const memory::dims d = src.dims();
        std::vector<int64_t> src_dims(d.begin(), d.end());
        memory::desc src_bf16(src.dims(), memory::data_type::bf16, to_dnnl_dims(strides_of(src_dims)));
        memory::desc any(b_plain.dims(), memory::data_type::bf16, memory::format_tag::any);
        try {
            pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_bf16, any, bias, dst), attr, eng);
            built = true;
            st.convert_src = true;
            src_used = src_bf16;
            st.src_reorder = bound_reorder(src, src_bf16, st.src_reorder_sp);
        } catch (const dnnl::error& e) {
            if (e.status != dnnl_unimplemented) throw;
            note = " (bf16 unavailable: fp32)";
        }
    }
    if (!built && constant_b != nullptr) {
        memory::desc any(b_plain.dims(), memory::data_type::f32, memory::format_tag::any);
        try {
            pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, any, bias, dst), attr, eng);
            built = true;
        } catch (const dnnl::error&) {
            built = false;
        }
    }
    if (!built) pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, b_plain, bias, dst), attr, eng);
    st.src_md = src_used;
    st.dst_md = dst;
    st.bias_md = bias;
    st.weights_md = pd.weights_desc();
    st.scratchpad_md = pd.scratchpad_desc();
    const char* info = pd.impl_info_str();
    st.impl = std::string("onednn:") + (info ? info : "?") + (st.convert_src ? ":bf16" : note);
    st.prim = BoundPrimitive(dnnl::matmul(pd));
    if (constant_b != nullptr) st.packed_weights = cache.get(b_plain, constant_b->data(), st.weights_md);
    st.prim.arg(DNNL_ARG_SRC, st.src_md);
    if (st.packed_weights)
        st.prim.fixed(DNNL_ARG_WEIGHTS, st.packed_weights);
    else
        st.prim.arg(DNNL_ARG_WEIGHTS, st.weights_md);
    st.prim.arg(DNNL_ARG_DST, st.dst_md);
    if (!bias.is_zero()) st.prim.arg(DNNL_ARG_BIAS, st.bias_md);
    st.prim.arg(DNNL_ARG_SCRATCHPAD, st.scratchpad_md);
    ScratchLayout layout;
    if (st.convert_src) layout.add(st.src_md.get_size());  // offset 0
    st.sp_off = layout.add(std::max(st.scratchpad_md.get_size(), st.src_reorder_sp.get_size()));
    ctx.request_scratch(layout.total());
    ctx.set_implementation(st.impl);
    return Status::ok();
}

void execute_matmul(RunContext& ctx, const MatmulState& st, const void* a, const void* b, const void* bias, void* y) {
    void* sp = ScratchLayout::at(ctx.scratch, st.sp_off);
    if (st.convert_src) {
        st.src_reorder.execute({{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, ctx.scratch}, {DNNL_ARG_SCRATCHPAD, sp}});
        a = ctx.scratch;
    }
    st.prim.execute({{DNNL_ARG_SRC, a},
                     {DNNL_ARG_WEIGHTS, st.packed_weights ? nullptr : b},
                     {DNNL_ARG_DST, y},
                     {DNNL_ARG_BIAS, st.has_bias ? bias : nullptr},
                     {DNNL_ARG_SCRATCHPAD, sp}});
}

// Y = alpha * A' * B' + beta * C (A', B' optionally transposed; C broadcast to (M, N)).
class GemmKernel final : public Kernel {
  public:
    GemmKernel(float alpha, float beta, bool trans_a, bool trans_b, const Tensor* constant_b, bool bf16,
               std::vector<Eltwise> activation)
        : alpha_(alpha),
          beta_(beta),
          trans_a_(trans_a),
          trans_b_(trans_b),
          bf16_(bf16),
          activation_(std::move(activation)) {
        if (constant_b != nullptr && constant_b->dtype() == DataType::kFloat32) constant_b_ = *constant_b;
    }

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<MatmulState>();
        if (st.empty) return Status::ok();
        float* y = ctx.out(0).data_as<float>();
        if (st.prefill_c || st.zero_k) {
            const float* c = ctx.has_in(2) ? ctx.in(2).data_as<float>() : nullptr;
            float scale = st.zero_k ? st.beta : 1.0f;
            int64_t n = st.n;
            const auto& cs = st.c_strides;
            parallel_for(st.m * n, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i) y[i] = c ? scale * c[(i / n) * cs[0] + (i % n) * cs[1]] : 0.0f;
            });
            if (st.zero_k) return Status::ok();
        }
        return onednn_guard(*ctx.label, [&]() {
            execute_matmul(ctx, st, ctx.in(0).data(), ctx.in(1).data(), ctx.has_in(2) ? ctx.in(2).data() : nullptr, y);
            return Status::ok();
        });
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        const auto& a = ctx.input(0).dims;
        const auto& b = ctx.input(1).dims;
        if (a.size() != 2 || b.size() != 2)
            return ctx.invalid("A and B must be 2-D, got " + shape_to_string(a) + " and " + shape_to_string(b));
        for (size_t i = 0; i < 3; ++i)
            if (ctx.has_input(i) && ctx.input(i).dtype != DataType::kFloat32)
                return ctx.unsupported_here("input " + std::to_string(i) + " must be float32");
        int64_t m = trans_a_ ? a[1] : a[0], k = trans_a_ ? a[0] : a[1];
        int64_t kb = trans_b_ ? b[1] : b[0], n = trans_b_ ? b[0] : b[1];
        if (k != kb)
            return ctx.invalid("inner dims differ: A' is " + std::to_string(m) + "x" + std::to_string(k) + ", B' is " +
                               std::to_string(kb) + "x" + std::to_string(n));
        ctx.set_output(0, DataType::kFloat32, {m, n});
        auto st = std::make_unique<MatmulState>();
        st->m = m;
        st->n = n;
        st->beta = beta_;
        bool use_c = ctx.has_input(2) && beta_ != 0.0f;
        if (ctx.has_input(2)) {
            std::vector<int64_t> c = ctx.input(2).dims, out;
            if (c.size() > 2 || !broadcast_shapes({m, n}, c, out) || out != std::vector<int64_t>{m, n})
                return ctx.invalid("C of shape " + shape_to_string(c) + " does not broadcast to " +
                                   shape_to_string({m, n}));
            st->c_strides = broadcast_strides(c, {m, n});
        }
        st->empty = m == 0 || n == 0;
        st->zero_k = !st->empty && k == 0;
        if (st->zero_k && !activation_.empty())
            return ctx.unsupported_here("FusedGemm with an empty inner dimension (K = 0)");
        if (st->empty || st->zero_k) {
            if (st->zero_k && !use_c) st->c_strides = {0, 0};
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        auto f32 = memory::data_type::f32;
        memory::desc src(to_dnnl_dims({m, k}), f32, trans_a_ ? memory::dims{1, m} : memory::dims{k, 1});
        memory::desc b_plain(to_dnnl_dims({k, n}), f32, trans_b_ ? memory::dims{1, k} : memory::dims{n, 1});
        memory::desc dst = plain_f32_md({m, n});
        memory::desc bias;
        dnnl::primitive_attr attr = user_scratch_attr();
        if (alpha_ != 1.0f) attr.set_output_scales(0, {alpha_});
        if (use_c && alpha_ == 1.0f && beta_ == 1.0f) {
            // C as the matmul bias: dims (M or 1, N or 1), strides 0 where broadcast.
            const auto& c = ctx.input(2).dims;
            int64_t cm = c.size() == 2 ? c[0] : 1;
            int64_t cn = c.empty() ? 1 : c.back();
            bias = memory::desc(to_dnnl_dims({cm, cn}), f32, memory::dims{cn, 1});
            st->has_bias = true;
        }
        if ((use_c && !st->has_bias) || !activation_.empty()) {
            dnnl::post_ops ops;
            if (use_c && !st->has_bias) {
                ops.append_sum(beta_);
                st->prefill_c = true;
            }
            append_activation(ops, activation_);
            attr.set_post_ops(ops);
        }
        EDGEINFER_RETURN_IF_ERROR(build_matmul(ctx, *st, src, b_plain, dst, bias, attr,
                                               constant_b_.empty() ? nullptr : &constant_b_, cache_, bf16_));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    float alpha_, beta_;
    bool trans_a_, trans_b_;
    bool bf16_;
    std::vector<Eltwise> activation_;  // FusedGemm: eltwise post-ops after alpha*A'B' + beta*C
    Tensor constant_b_;
    mutable PackedWeightsCache cache_;
};

// Memory of a logical (..., rows, cols) operand, stored as (..., cols, rows) when `trans`.
memory::desc operand_md(const std::vector<int64_t>& logical, bool trans) {
    if (!trans) return plain_f32_md(logical);
    const size_t r = logical.size();
    std::vector<int64_t> stored = logical;
    std::swap(stored[r - 2], stored[r - 1]);
    std::vector<int64_t> s = strides_of(stored);
    std::swap(s[r - 2], s[r - 1]);
    return memory::desc(to_dnnl_dims(logical), memory::data_type::f32, to_dnnl_dims(s));
}

// Numpy-style MatMul: batch dims broadcast, 1-D operands promoted and their unit dim dropped.
// com.microsoft:FusedMatMul is the same product of op(A) and op(B), op transposing the last two dims of
// an operand of rank >= 2 (transA / transB: strided memory, no copy), scaled by alpha (output scale).
class MatMulKernel final : public Kernel {
  public:
    MatMulKernel(const Tensor* constant_b, bool bf16, bool trans_a = false, bool trans_b = false, float alpha = 1.0f)
        : bf16_(bf16), trans_a_(trans_a), trans_b_(trans_b), alpha_(alpha) {
        if (constant_b != nullptr && constant_b->dtype() == DataType::kFloat32) constant_b_ = *constant_b;
    }

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<MatmulState>();
        if (st.empty) return Status::ok();
        Tensor& y = ctx.out(0);
        if (st.zero_k) {
            std::memset(y.data(), 0, y.nbytes());
            return Status::ok();
        }
        return onednn_guard(*ctx.label, [&]() {
            execute_matmul(ctx, st, ctx.in(0).data(), ctx.in(1).data(), nullptr, y.data());
            return Status::ok();
        });
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        std::vector<int64_t> a = ctx.input(0).dims, b = ctx.input(1).dims;
        if (a.empty() || b.empty()) return ctx.invalid("MatMul operands must have rank >= 1");
        for (size_t i = 0; i < 2; ++i)
            if (ctx.input(i).dtype != DataType::kFloat32)
                return ctx.unsupported_here("input " + std::to_string(i) + " must be float32");
        bool a_vec = a.size() == 1, b_vec = b.size() == 1;
        const bool trans_a = trans_a_ && !a_vec, trans_b = trans_b_ && !b_vec;
        if (trans_a) std::swap(a[a.size() - 2], a[a.size() - 1]);
        if (trans_b) std::swap(b[b.size() - 2], b[b.size() - 1]);
        if (a_vec) a.insert(a.begin(), 1);
        if (b_vec) b.push_back(1);
        int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
        if (b[b.size() - 2] != k)
            return ctx.invalid("inner dims differ: " + shape_to_string(ctx.input(0).dims) + " x " +
                               shape_to_string(ctx.input(1).dims));
        std::vector<int64_t> batch;
        std::vector<int64_t> a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
        if (!broadcast_shapes(a_batch, b_batch, batch))
            return ctx.invalid("batch dims " + shape_to_string(a_batch) + " and " + shape_to_string(b_batch) +
                               " do not broadcast");
        std::vector<int64_t> y = batch;
        if (!a_vec) y.push_back(m);
        if (!b_vec) y.push_back(n);
        ctx.set_output(0, DataType::kFloat32, y);

        auto st = std::make_unique<MatmulState>();
        st->empty = shape_numel(y) == 0;
        st->zero_k = !st->empty && k == 0;
        if (st->empty || st->zero_k) {
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        // B without batch dims: fold A's batch into M (one big GEMM over contiguous rows).
        if ((b_batch.empty() || shape_numel(b_batch) == 1) && !trans_a) {
            a = {shape_numel(a_batch) * m, k};
            b = {k, n};
            batch.clear();
        }
        size_t r = batch.size() + 2;
        if (r > DNNL_MAX_NDIMS) return ctx.unsupported_here("rank " + std::to_string(r) + " exceeds oneDNN's limit");
        auto pad = [&](std::vector<int64_t> d) {
            d.insert(d.begin(), r - d.size(), 1);
            return d;
        };
        a = pad(a);
        b = pad(b);
        std::vector<int64_t> dst_dims = batch;
        dst_dims.push_back(a[r - 2]);
        dst_dims.push_back(n);
        dnnl::primitive_attr attr = user_scratch_attr();
        if (alpha_ != 1.0f) attr.set_output_scales(0, {alpha_});
        const Tensor* cb = constant_b_.empty() ? nullptr : &constant_b_;
        EDGEINFER_RETURN_IF_ERROR(build_matmul(ctx, *st, operand_md(a, trans_a), operand_md(b, trans_b),
                                               plain_f32_md(dst_dims), memory::desc(), attr, cb, cache_, bf16_));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    bool bf16_;
    bool trans_a_, trans_b_;
    float alpha_;
    Tensor constant_b_;
    mutable PackedWeightsCache cache_;
};

const Tensor* constant_input(const CreateContext& ctx, size_t i) {
    return i < ctx.constant_inputs.size() ? ctx.constant_inputs[i] : nullptr;
}

}  // namespace

void register_gemm_kernels(KernelRegistry& registry) {
    // Gemm, and edgeinfer:FusedGemm = act(Gemm) (runtime pass fuse-gemm-activation; attributes
    // activation / activation_params as FusedConv's).
    for (const char* domain : {"", "edgeinfer"}) {
        KernelDef gemm;
        gemm.domain = domain;
        gemm.op_type = *domain ? "FusedGemm" : "Gemm";
        gemm.since_version = 1;
        gemm.dtypes = float_types();
        gemm.supports = [](const CreateContext& ctx) -> std::string {
            std::vector<Eltwise> act;
            return ctx.node.domain == "edgeinfer" ? parse_activation(ctx.node, act) : "";
        };
        gemm.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            const ir::Node& n = ctx.node;
            std::vector<Eltwise> act;
            if (n.domain == "edgeinfer") {
                std::string why = parse_activation(n, act);
                if (!why.empty()) return ctx.invalid(why);
            }
            return std::unique_ptr<Kernel>(new GemmKernel(n.attr_float("alpha", 1.0f), n.attr_float("beta", 1.0f),
                                                          n.attr_int("transA", 0) != 0, n.attr_int("transB", 0) != 0,
                                                          constant_input(ctx, 1), ctx.precision == Precision::kBf16,
                                                          std::move(act)));
        };
        registry.add(std::move(gemm));
    }

    KernelDef matmul;
    matmul.op_type = "MatMul";
    matmul.since_version = 1;
    matmul.dtypes = float_types();
    matmul.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new MatMulKernel(constant_input(ctx, 1), ctx.precision == Precision::kBf16));
    };
    registry.add(std::move(matmul));

    KernelDef fused;
    fused.domain = "com.microsoft";
    fused.op_type = "FusedMatMul";
    fused.since_version = 1;
    fused.dtypes = float_types();
    fused.supports = [](const CreateContext& ctx) -> std::string {
        if (ctx.node.attr_int("transBatchA", 0) != 0 || ctx.node.attr_int("transBatchB", 0) != 0)
            return "FusedMatMul with transBatchA/transBatchB is not supported";
        return "";
    };
    fused.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Node& n = ctx.node;
        if (n.attr_int("transBatchA", 0) != 0 || n.attr_int("transBatchB", 0) != 0)
            return ctx.invalid("transBatchA/transBatchB are not supported");
        return std::unique_ptr<Kernel>(new MatMulKernel(constant_input(ctx, 1), ctx.precision == Precision::kBf16,
                                                        n.attr_int("transA", 0) != 0, n.attr_int("transB", 0) != 0,
                                                        n.attr_float("alpha", 1.0f)));
    };
    registry.add(std::move(fused));
}

}  // namespace edgeinfer::kernels::cpu
