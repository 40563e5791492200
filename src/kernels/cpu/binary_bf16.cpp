// Kernels: edgeinfer:Add, Sub, Mul, Div, Max, Min: binary ops inside bf16 regions (created only by
// passes/bf16_regions.cpp), through oneDNN's binary primitive.
//
//   inputs  A, B: float32 or bfloat16, broadcasting the ONNX way; A (or, for Add/Mul/Max/Min, B)
//           has the output's shape
//   attrs   output_type (int, ONNX type: 1 float (default) or 16 bfloat16)
//
// The primitive computes in bf16: the full-shape operand is its first source (reordered into bf16
// scratch when it is float32), the other operand is read as it is (oneDNN takes a float32 or bf16
// second source), and the result is bf16, reordered into a float32 output when output_type says so.
// Dims are used as stored (a channels-last tensor is a plain tensor of its stored dims), so the
// layout does not matter.
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

struct BinaryBf16State : KernelState {
    bool empty = false;
    bool swapped = false;         // B is the first source (commutative op, A broadcasts)
    bool convert_src0 = false;    // first source is float32: reordered into bf16 scratch
    bool convert_dst = false;     // output is float32: the bf16 result is reordered into it
    BoundPrimitive prim, src0_reorder, dst_reorder;
    size_t src0_off = 0, dst_off = 0, sp_off = 0;
};

class BinaryBf16Kernel final : public Kernel {
  public:
    BinaryBf16Kernel(dnnl::algorithm alg, bool commutative, bool bf16_output)
        : alg_(alg), commutative_(commutative), bf16_output_(bf16_output) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<BinaryBf16State>();
        if (st.empty) return Status::ok();
        return onednn_guard(*ctx.label, [&]() {
            void* sp = ScratchLayout::at(ctx.scratch, st.sp_off);
            const void* src0 = ctx.in(st.swapped ? 1 : 0).data();
            const void* src1 = ctx.in(st.swapped ? 0 : 1).data();
            if (st.convert_src0) {
                void* tmp = ScratchLayout::at(ctx.scratch, st.src0_off);
                st.src0_reorder.execute({{DNNL_ARG_FROM, src0}, {DNNL_ARG_TO, tmp}, {DNNL_ARG_SCRATCHPAD, sp}});
                src0 = tmp;
            }
            void* dst = st.convert_dst ? ScratchLayout::at(ctx.scratch, st.dst_off) : ctx.out(0).data();
            st.prim.execute({{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst},
                             {DNNL_ARG_SCRATCHPAD, sp}});
            if (st.convert_dst)
                st.dst_reorder.execute({{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, ctx.out(0).data()}, {DNNL_ARG_SCRATCHPAD, sp}});
            return Status::ok();
        });
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        if (ctx.num_inputs() != 2 || !ctx.has_input(0) || !ctx.has_input(1)) return ctx.invalid("needs inputs A and B");
        for (size_t i = 0; i < 2; ++i) {
            DataType t = ctx.input(i).dtype;
            if (t != DataType::kFloat32 && t != DataType::kBFloat16)
                return ctx.unsupported_here("input " + std::to_string(i) + " is " + std::string(dtype_name(t)) +
                                            ", expected float32 or bfloat16");
        }
        const auto& a = ctx.input(0).dims;
        const auto& b = ctx.input(1).dims;
        std::vector<int64_t> y;
        if (!broadcast_shapes(a, b, y))
            return ctx.invalid("shapes " + shape_to_string(a) + " and " + shape_to_string(b) + " do not broadcast");
        const DataType y_type = bf16_output_ ? DataType::kBFloat16 : DataType::kFloat32;
        ctx.set_output(0, y_type, y);
        auto st = std::make_unique<BinaryBf16State>();
        st->empty = shape_numel(y) == 0;
        if (st->empty) {
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        if (a != y) {
            if (!(commutative_ && b == y))
                return ctx.unsupported_here("A " + shape_to_string(a) + " broadcasts to " + shape_to_string(y) +
                                            "; only B may broadcast for this op");
            st->swapped = true;
        }
        const size_t i0 = st->swapped ? 1 : 0, i1 = 1 - i0;
        std::vector<int64_t> d1 = ctx.input(i1).dims;
        d1.insert(d1.begin(), y.size() - d1.size(), 1);  // oneDNN wants equal ranks
        auto bf16 = memory::data_type::bf16;
        auto plain = [](const std::vector<int64_t>& d, memory::data_type t) {
            return memory::desc(to_dnnl_dims(d), t, to_dnnl_dims(strides_of(d)));
        };
        memory::desc src0 = plain(y, bf16), src1 = plain(d1, dnnl_type(ctx.input(i1).dtype)), dst = plain(y, bf16);
        dnnl::binary::desc desc(alg_, src0, src1, dst);
        dnnl::binary::primitive_desc pd(desc, user_scratch_attr(), onednn_engine());
        memory::desc sp_md = pd.scratchpad_desc(), src0_sp, dst_sp;
        st->prim = BoundPrimitive(dnnl::binary(pd));
        st->prim.arg(DNNL_ARG_SRC_0, src0);
        st->prim.arg(DNNL_ARG_SRC_1, src1);
        st->prim.arg(DNNL_ARG_DST, dst);
        st->prim.arg(DNNL_ARG_SCRATCHPAD, sp_md);
        ScratchLayout layout;
        st->convert_src0 = ctx.input(i0).dtype != DataType::kBFloat16;
        if (st->convert_src0) {
            st->src0_reorder = bound_reorder(plain(y, dnnl_type(ctx.input(i0).dtype)), src0, src0_sp);
            st->src0_off = layout.add(src0.get_size());
        }
        st->convert_dst = y_type != DataType::kBFloat16;
        if (st->convert_dst) {
            st->dst_reorder = bound_reorder(dst, plain(y, dnnl_type(y_type)), dst_sp);
            st->dst_off = layout.add(dst.get_size());
        }
        st->sp_off = layout.add(std::max({sp_md.get_size(), src0_sp.get_size(), dst_sp.get_size()}));
        ctx.request_scratch(layout.total());
        const char* info = pd.impl_info_str();
        ctx.set_implementation(std::string("onednn:") + (info ? info : "?") + ":bf16");
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    dnnl::algorithm alg_;
    bool commutative_;
    bool bf16_output_;
};

}  // namespace

void register_binary_bf16_kernels(KernelRegistry& registry) {
    struct Op {
        const char* name;
        dnnl::algorithm alg;
        bool commutative;
    };
    for (const Op& op : {Op{"Add", dnnl::algorithm::binary_add, true}, Op{"Sub", dnnl::algorithm::binary_sub, false},
                         Op{"Mul", dnnl::algorithm::binary_mul, true}, Op{"Div", dnnl::algorithm::binary_div, false},
                         Op{"Max", dnnl::algorithm::binary_max, true}, Op{"Min", dnnl::algorithm::binary_min, true}}) {
        KernelDef d;
        d.domain = "edgeinfer";
        d.op_type = op.name;
        d.dtypes = {DataType::kFloat32, DataType::kBFloat16};
        auto output_type = [](const ir::Node& n) { return n.attr_int("output_type", 1); };
        d.supports = [output_type](const CreateContext& ctx) -> std::string {
            int64_t t = output_type(ctx.node);
            return t == 1 || t == 16 ? "" : "output_type " + std::to_string(t) + " is not supported (1 float or 16 bfloat16)";
        };
        d.factory = [op, output_type](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            int64_t t = output_type(ctx.node);
            if (t != 1 && t != 16) return ctx.invalid("output_type " + std::to_string(t) + " is not supported");
            return std::unique_ptr<Kernel>(new BinaryBf16Kernel(op.alg, op.commutative, t == 16));
        };
        registry.add(std::move(d));
    }
}

}  // namespace edgeinfer::kernels::cpu
