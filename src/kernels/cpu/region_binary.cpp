// Kernels: edgeinfer:Add, Sub, Mul, Div, Max, Min: binary ops inside bf16 regions
// (passes/bf16_regions.cpp) and int8 regions (passes/qdq_fusion.cpp), through oneDNN's binary
// primitive.
//
//   inputs  A, B: float32 or bfloat16, broadcasting the ONNX way; A (or, for Add/Mul/Max/Min, B)
//           has the output's shape
//   attrs   output_type (int, ONNX type: 1 float (default) or 16 bfloat16)
//           layout (string, "" (default): tensors are plain in their dims; "NHWC": rank-4 operands of
//           the output's shape and the output are NCHW dims over channels-last memory, the other
//           operand is [N, C, 1, 1] or a scalar, the same in either layout)
//
// The primitive computes in bf16 when an input or the output is bf16, otherwise in fp32. The
// full-shape operand is its first source (reordered into scratch when its type is not the compute
// type), the other operand is read as it is (oneDNN takes a float32 or bf16 second source), and the
// result is reordered into the output when the output's type is not the compute type.
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

struct RegionBinaryState : KernelState {
    bool empty = false;
    bool swapped = false;       // B is the first source (commutative op, A broadcasts)
    bool convert_src0 = false;  // first source's type is not the compute type: reordered into scratch
    bool convert_dst = false;   // output's type is not the compute type: the result is reordered into it
    BoundPrimitive prim, src0_reorder, dst_reorder;
    size_t src0_off = 0, dst_off = 0, sp_off = 0;
};

class RegionBinaryKernel final : public Kernel {
  public:
    RegionBinaryKernel(dnnl::algorithm alg, bool commutative, bool bf16_output, bool nhwc)
        : alg_(alg), commutative_(commutative), bf16_output_(bf16_output), nhwc_(nhwc) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<RegionBinaryState>();
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
        auto st = std::make_unique<RegionBinaryState>();
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
        if (nhwc_) {
            if (y.size() != 4) return ctx.invalid("layout NHWC needs rank-4 operands, got " + shape_to_string(y));
            if (d1 != y && (d1[2] != 1 || d1[3] != 1))
                return ctx.unsupported_here("layout NHWC: the broadcast operand " + shape_to_string(d1) +
                                            " is not [N, C, 1, 1]");
        }
        const bool bf16 = y_type == DataType::kBFloat16 || ctx.input(0).dtype == DataType::kBFloat16 ||
                          ctx.input(1).dtype == DataType::kBFloat16;
        const DataType c_type = bf16 ? DataType::kBFloat16 : DataType::kFloat32;
        // Full-shape tensors in the node's layout; an [N, C, 1, 1] operand is the same in both.
        auto desc = [this](const std::vector<int64_t>& d, DataType t, bool full) {
            if (nhwc_ && full) return memory::desc(to_dnnl_dims(d), dnnl_type(t), memory::format_tag::nhwc);
            return memory::desc(to_dnnl_dims(d), dnnl_type(t), to_dnnl_dims(strides_of(d)));
        };
        memory::desc src0 = desc(y, c_type, true), src1 = desc(d1, ctx.input(i1).dtype, d1 == y),
                     dst = desc(y, c_type, true);
        dnnl::binary::desc bd(alg_, src0, src1, dst);
        dnnl::binary::primitive_desc pd(bd, user_scratch_attr(), onednn_engine());
        memory::desc sp_md = pd.scratchpad_desc(), src0_sp, dst_sp;
        st->prim = BoundPrimitive(dnnl::binary(pd));
        st->prim.arg(DNNL_ARG_SRC_0, src0);
        st->prim.arg(DNNL_ARG_SRC_1, src1);
        st->prim.arg(DNNL_ARG_DST, dst);
        st->prim.arg(DNNL_ARG_SCRATCHPAD, sp_md);
        ScratchLayout layout;
        st->convert_src0 = ctx.input(i0).dtype != c_type;
        if (st->convert_src0) {
            st->src0_reorder = bound_reorder(desc(y, ctx.input(i0).dtype, true), src0, src0_sp);
            st->src0_off = layout.add(src0.get_size());
        }
        st->convert_dst = y_type != c_type;
        if (st->convert_dst) {
            st->dst_reorder = bound_reorder(dst, desc(y, y_type, true), dst_sp);
            st->dst_off = layout.add(dst.get_size());
        }
        st->sp_off = layout.add(std::max({sp_md.get_size(), src0_sp.get_size(), dst_sp.get_size()}));
        ctx.request_scratch(layout.total());
        const char* info = pd.impl_info_str();
        ctx.set_implementation(std::string("onednn:") + (info ? info : "?") + (bf16 ? ":bf16" : ""));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    dnnl::algorithm alg_;
    bool commutative_;
    bool bf16_output_;
    bool nhwc_;
};

// "" or why the node's attributes are not usable.
std::string check_attrs(const ir::Node& n) {
    bool bf16 = false;
    std::string why = parse_output_type(n, bf16);
    if (!why.empty()) return why;
    std::string layout = n.attr_string("layout", "");
    if (!layout.empty() && layout != "NHWC") return "layout '" + layout + "' is not supported (\"\" or NHWC)";
    return "";
}

}  // namespace

void register_region_binary_kernels(KernelRegistry& registry) {
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
        d.supports = [](const CreateContext& ctx) { return check_attrs(ctx.node); };
        d.factory = [op](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            std::string why = check_attrs(ctx.node);
            if (!why.empty()) return ctx.invalid(why);
            return std::unique_ptr<Kernel>(new RegionBinaryKernel(op.alg, op.commutative,
                                                                  ctx.node.attr_int("output_type", 1) == 16,
                                                                  ctx.node.attr_string("layout", "") == "NHWC"));
        };
        registry.add(std::move(d));
    }
}

}  // namespace edgeinfer::kernels::cpu
