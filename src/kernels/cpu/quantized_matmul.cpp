// Kernels: QLinearMatMul, MatMulInteger and the fused edgeinfer:QMatMul (from passes/qdq_fusion) on
// oneDNN int8 matmuls. What they compute and the two paths (int8 primitive, float32 fallback):
// quantized_common.hpp.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/quantized_common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

class QuantMatMulKernel final : public QuantKernelBase {
  public:
    QuantMatMulKernel(OpKind kind, Activation act, Tensor w) : QuantKernelBase(kind, act, std::move(w)) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        const Slots& s = slots_;
        if (!ctx.has_input(s.x) || !ctx.has_input(s.w)) return ctx.invalid("A and B are required");
        EDGEINFER_RETURN_IF_ERROR(check_types(ctx));
        std::vector<int64_t> a = ctx.input(s.x).dims, b = ctx.input(s.w).dims;
        if (a.empty() || b.empty()) return ctx.invalid("A and B must have rank >= 1");
        const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
        if (a_vec) a.insert(a.begin(), 1);
        if (b_vec) b.push_back(1);
        const int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
        if (b[b.size() - 2] != k)
            return ctx.invalid("A has " + std::to_string(k) + " columns but B has " + std::to_string(b[b.size() - 2]) +
                               " rows");
        const size_t rank = std::max(a.size(), b.size());
        a.insert(a.begin(), rank - a.size(), 1);
        b.insert(b.begin(), rank - b.size(), 1);
        std::vector<int64_t> yd(rank);
        for (size_t i = 0; i + 2 < rank; ++i) {
            if (a[i] != b[i] && a[i] != 1 && b[i] != 1) return ctx.invalid("batch dims of A and B do not broadcast");
            yd[i] = std::max(a[i], b[i]);
        }
        yd[rank - 2] = m;
        yd[rank - 1] = n;
        auto st = std::make_unique<QState>();
        bool missing = false;
        EDGEINFER_RETURN_IF_ERROR(read_quant_values(ctx, kind_, s, n, act_, st->q, missing));
        if (missing) return ctx.defer();
        // ONNX output shape: broadcast batch dims, then M unless A was a vector, N unless B was.
        std::vector<int64_t> out_dims(yd.begin(), yd.end() - 2);
        if (!a_vec) out_dims.push_back(m);
        if (!b_vec) out_dims.push_back(n);
        ctx.set_output(0, st->q.out, out_dims);
        st->channels = n;
        st->inner = 1;
        st->w_inner = 1;
        if (shape_numel(yd) == 0) {
            st->empty = true;
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        PackedWeightsCache* cache = nullptr;
        const FoldedWeights* fw = folded(
            ctx, st->q.w_zp, [n](int64_t i) { return i % n; }, *st, cache);
        const bool batched_b = shape_numel(b) != k * n;
        const bool fast = fw != nullptr && !fw->s8.empty() && !batched_b;
        auto f32 = memory::data_type::f32;
        auto& eng = onednn_engine();
        memory::desc w_md;
        if (fast) {
            // A's batch dims collapse into rows: one 2-D int8 product with B packed once.
            const int64_t rows = shape_numel(a) / k;
            memory::desc src({rows, k}, dnnl_type(ctx.input(s.x).dtype), memory::format_tag::ab);
            memory::desc dst({rows, n}, dnnl_type(st->q.out), memory::format_tag::ab);
            memory::desc w_plain({k, n}, memory::data_type::s8, memory::format_tag::ab);
            memory::desc bias_md =
                st->q.bias_acc.empty() ? memory::desc() : memory::desc({1, n}, f32, memory::format_tag::ab);
            st->fast = true;
            st->x_zp_mem = {st->q.x_zp};
            st->y_zp_mem = {st->q.y_zp};
            st->bias = st->q.bias_acc;
            compensate_seven_bit(*st);
            dnnl::matmul::desc d(src, memory::desc({k, n}, memory::data_type::s8, memory::format_tag::any), bias_md,
                                 dst);
            dnnl::matmul::primitive_desc pd(d, int8_attr(st->q, 1 << 1), eng);
            st->src_md = src;
            st->dst_md = dst;
            st->sp_md = pd.scratchpad_desc();
            w_md = pd.weights_desc();
            st->packed_weights = cache->get(w_plain, fw->s8.data(), w_md);
            st->prim = BoundPrimitive(dnnl::matmul(pd));
            ctx.set_implementation(std::string("onednn:int8:") + pd.impl_info_str() +
                                   (seven_bit_weights() ? ":7bit" : ""));
            bind_common(*st, w_md);
            plan_scratch(ctx, *st, src, dst, 0, 0, 0);
        } else {
            memory::desc src(to_dnnl_dims(a), f32, strides_of(a)), dst(to_dnnl_dims(yd), f32, strides_of(yd));
            memory::desc wmd(to_dnnl_dims(b), f32, strides_of(b));
            dnnl::matmul::desc d(src, wmd, memory::desc(), dst);
            dnnl::matmul::primitive_desc pd(d, user_scratch_attr(), eng);
            st->src_md = src;
            st->dst_md = dst;
            st->sp_md = pd.scratchpad_desc();
            // Constant weights that do not fit int8 are used as folded; others are widened per run.
            st->widen_weights = fw == nullptr || fw->f32.empty();
            if (!st->widen_weights) st->packed_weights = wrap_memory(wmd, fw->f32.data());
            st->prim = BoundPrimitive(dnnl::matmul(pd));
            ctx.set_implementation(std::string("onednn:int8-ref:") + pd.impl_info_str());
            bind_common(*st, wmd);
            plan_scratch(ctx, *st, src, dst, static_cast<size_t>(shape_numel(a)), static_cast<size_t>(shape_numel(b)),
                         static_cast<size_t>(shape_numel(yd)));
        }
        ctx.set_state(std::move(st));
        return Status::ok();
    }
};

std::unique_ptr<Kernel> make_matmul(OpKind kind, NoAttrs, Activation act, Tensor w) {
    return std::make_unique<QuantMatMulKernel>(kind, act, std::move(w));
}

}  // namespace

void register_quantized_matmul_kernels(KernelRegistry& registry) {
    registry.add(quant_kernel_def("", "QLinearMatMul", 10, OpKind::kQLinear, parse_no_attrs, make_matmul));
    registry.add(quant_kernel_def("", "MatMulInteger", 10, OpKind::kInteger, parse_no_attrs, make_matmul));
    registry.add(quant_kernel_def("edgeinfer", "QMatMul", 1, OpKind::kFused, parse_no_attrs, make_matmul));
}

}  // namespace edgeinfer::kernels::cpu
