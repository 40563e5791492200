// Kernels: Cast and CastLike between all numeric types, bool, float16 and bfloat16 (no strings).
//
// Conversions follow C++ static_cast (float to int truncates toward zero, nonzero to bool is true);
// 16-bit floats convert through float32 with round to nearest even.
#include <cstring>
#include <string>
#include <type_traits>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using namespace types;

constexpr int64_t kLatest = 1 << 30;
constexpr unsigned kCastTypes = kAll;

// Cast-1 spells `to` as a string ("FLOAT"); later opsets use the TensorProto.DataType number.
DataType parse_to(const ir::Attribute& a) {
    if (a.kind != ir::Attribute::Kind::kString) return static_cast<DataType>(a.i);
    static const std::pair<const char*, DataType> names[] = {
        {"FLOAT", DataType::kFloat32},   {"UINT8", DataType::kUInt8},      {"INT8", DataType::kInt8},
        {"UINT16", DataType::kUInt16},   {"INT16", DataType::kInt16},      {"INT32", DataType::kInt32},
        {"INT64", DataType::kInt64},     {"STRING", DataType::kString},    {"BOOL", DataType::kBool},
        {"FLOAT16", DataType::kFloat16}, {"DOUBLE", DataType::kFloat64},   {"UINT32", DataType::kUInt32},
        {"UINT64", DataType::kUInt64},   {"BFLOAT16", DataType::kBFloat16}};
    for (const auto& [name, t] : names)
        if (a.s == name) return t;
    return DataType::kUndefined;
}

std::string type_reason(DataType t, const char* what) {
    if (t == DataType::kUndefined || dtype_in(t, kCastTypes)) return "";
    return std::string("casting ") + what + " " + std::string(dtype_name(t)) + " is not supported";
}

template <typename TI, typename TO>
void convert(const TI* in, TO* out, int64_t n) {
    parallel_for(n, [&](int64_t begin, int64_t end) {
        const TI* __restrict src = in;
        TO* __restrict dst = out;
        for (int64_t i = begin; i < end; ++i) {
            if constexpr (std::is_same_v<TO, bool>)
                dst[i] = load(src[i]) != compute_t<TI>(0);
            else
                dst[i] = store<TO>(load(src[i]));
        }
    });
}

class CastKernel final : public Kernel {
  public:
    // to == kUndefined: CastLike, the output takes input 1's type.
    explicit CastKernel(DataType to) : to_(to) {}

    Status prepare(PrepareContext& ctx) const override {
        DataType from = ctx.input(0).dtype;
        DataType to = to_;
        if (to == DataType::kUndefined) {
            if (!ctx.has_input(1)) return ctx.invalid("missing input 1 (target_type)");
            to = ctx.input(1).dtype;
        }
        for (const std::string& why : {type_reason(from, "from"), type_reason(to, "to")})
            if (!why.empty()) return ctx.unsupported_here(why);
        ctx.set_output(0, to, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        const int64_t n = x.numel();
        if (n == 0) return Status::ok();
        if (x.dtype() == y.dtype()) {
            std::memcpy(y.data(), x.data(), x.nbytes());
            return Status::ok();
        }
        dispatch_types<kCastTypes>(x.dtype(), [&](auto from_tag) {
            using TI = decltype(from_tag);
            dispatch_types<kCastTypes>(y.dtype(), [&](auto to_tag) {
                using TO = decltype(to_tag);
                convert(x.data_as<TI>(), y.data_as<TO>(), n);
            });
        });
        return Status::ok();
    }

  private:
    DataType to_;
};

std::string cast_supports(const CreateContext& ctx) {
    const ir::Attribute* to = ctx.node.find_attribute("to");
    if (!to) return "";  // the factory reports the missing attribute
    std::string why = type_reason(ctx.input_types.empty() ? DataType::kUndefined : ctx.input_types[0], "from");
    if (!why.empty()) return why;
    return type_reason(parse_to(*to), "to");
}

std::string cast_like_supports(const CreateContext& ctx) {
    for (size_t i = 0; i < ctx.input_types.size() && i < 2; ++i) {
        std::string why = type_reason(ctx.input_types[i], i == 0 ? "from" : "to");
        if (!why.empty()) return why;
    }
    return "";
}

}  // namespace

void register_cast_kernels(KernelRegistry& registry) {
    KernelDef cast;
    cast.op_type = "Cast";
    cast.since_version = 1;
    cast.end_version = kLatest;
    cast.supports = cast_supports;
    cast.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Attribute* to = ctx.node.find_attribute("to");
        if (!to) return ctx.invalid("missing attribute 'to'");
        DataType t = parse_to(*to);
        if (dtype_name(t) == "undefined") return ctx.invalid("attribute 'to' is not a valid data type");
        return std::unique_ptr<Kernel>(new CastKernel(t));
    };
    registry.add(std::move(cast));

    KernelDef cast_like;
    cast_like.op_type = "CastLike";
    cast_like.since_version = 15;
    cast_like.end_version = kLatest;
    cast_like.supports = cast_like_supports;
    cast_like.factory = [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new CastKernel(DataType::kUndefined));
    };
    registry.add(std::move(cast_like));
}

}  // namespace edgeinfer::kernels::cpu
