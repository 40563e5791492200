// Kernels: Cast and CastLike between all numeric types, bool, float16, bfloat16, float8, int4 and strings.
//
// Conversions follow C++ static_cast (float to int truncates toward zero, nonzero to bool is true);
// 16-bit floats convert through float32 with round to nearest even. Numbers become their shortest
// round-trip decimal text (float32 as float32: 0.039187793, as numpy prints it); text becomes a number
// as strtod/strtoll read it ("NaN", "INF", "+INF", "-inf" included); text that is no number is an error
// naming it. A cast from or to string computes while the plan prepares it (strings have no arena buffer).
// 8-bit floats and 4-bit integers (opsets 19, 21) convert through float32: to float8 rounds to nearest
// even, and out-of-range values (infinities included) become the largest finite value when `saturate`
// is 1 (the default) and infinity (E5M2) or NaN (the others) when it is 0; to int4/uint4 clips to the
// range then rounds half to even, as ONNX's reference does.
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "ir/float8.hpp"
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

// float8 and int4/uint4: one byte per element, converted through float32.
bool is_small(DataType t) { return dtype_is_float8(t) || dtype_is_int4(t); }

float small_to_float(DataType t, uint8_t v) {
    if (t == DataType::kInt4) return static_cast<float>(static_cast<int8_t>(v));
    if (t == DataType::kUInt4) return static_cast<float>(v);
    return ir::float8_to_float(t, v);
}

uint8_t float_to_small(DataType t, float v, bool saturate) {
    return dtype_is_int4(t) ? ir::float_to_int4(t, v) : ir::float_to_float8(t, v, saturate);
}

// y = cast(x) when x or y is a small type.
void convert_small(const Tensor& x, Tensor& y, bool saturate) {
    const int64_t n = x.numel();
    const DataType from = x.dtype(), to = y.dtype();
    if (is_small(to)) {
        uint8_t* out = y.data_as<uint8_t>();
        auto encode = [&](auto get) {
            parallel_for(n, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) out[i] = float_to_small(to, get(i), saturate);
            });
        };
        if (is_small(from)) {
            const uint8_t* in = x.data_as<uint8_t>();
            encode([&](int64_t i) { return small_to_float(from, in[i]); });
        } else {
            dispatch_types<kCastTypes>(from, [&](auto tag) {
                using TI = decltype(tag);
                const TI* in = x.data_as<TI>();
                encode([&](int64_t i) { return static_cast<float>(load(in[i])); });
            });
        }
        return;
    }
    const uint8_t* in = x.data_as<uint8_t>();
    dispatch_types<kCastTypes>(to, [&](auto tag) {
        using TO = decltype(tag);
        TO* out = y.data_as<TO>();
        parallel_for(n, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const float v = small_to_float(from, in[i]);
                if constexpr (std::is_same_v<TO, bool>)
                    out[i] = v != 0.0f;
                else
                    out[i] = store<TO>(static_cast<compute_t<TO>>(v));
            }
        });
    });
}

std::string type_reason(DataType t, const char* what) {
    if (t == DataType::kUndefined || t == DataType::kString || dtype_in(t, kCastTypes) || is_small(t)) return "";
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

template <typename T>
std::string number_text(T v) {
    if constexpr (std::is_same_v<T, bool>) {
        return v ? "1" : "0";
    } else {
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof(buf), v);
        return std::string(buf, r.ptr);
    }
}

// x (numeric) as strings.
Tensor to_strings(const Tensor& x) {
    std::vector<std::string> out(static_cast<size_t>(x.numel()));
    dispatch_types<kCastTypes>(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* in = x.data_as<T>();
        for (size_t i = 0; i < out.size(); ++i) {
            if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T> || std::is_same_v<T, double>)
                out[i] = number_text(in[i]);
            else
                out[i] = number_text(static_cast<float>(load(in[i])));
        }
    });
    return Tensor::strings(x.dims(), std::move(out));
}

// x (strings) as `to`; an element that is not a number is an error naming it.
Result<Tensor> from_strings(const PrepareContext& ctx, const Tensor& x, DataType to) {
    Tensor y = Tensor::allocate(to, x.dims());
    const auto& text = x.string_data();
    Status status;
    dispatch_types<kCastTypes>(to, [&](auto tag) {
        using T = decltype(tag);
        T* out = y.data_as<T>();
        for (size_t i = 0; i < text.size() && status.is_ok(); ++i) {
            const char* begin = text[i].c_str();
            char* end = nullptr;
            errno = 0;
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                const long long v = std::strtoll(begin, &end, 10);
                out[i] = static_cast<T>(v);
            } else {
                const double v = std::strtod(begin, &end);
                if constexpr (std::is_same_v<T, bool>)
                    out[i] = v != 0.0;
                else
                    out[i] = store<T>(static_cast<compute_t<T>>(v));
            }
            if (end == begin || *end != '\0')
                status = ctx.invalid("element " + std::to_string(i) + " '" + text[i] + "' is not a number");
        }
    });
    if (!status.is_ok()) return status;
    return y;
}

class CastKernel final : public Kernel {
  public:
    // to == kUndefined: CastLike, the output takes input 1's type.
    CastKernel(DataType to, bool saturate) : to_(to), saturate_(saturate) {}

    Status prepare(PrepareContext& ctx) const override {
        DataType from = ctx.input(0).dtype;
        DataType to = to_;
        if (to == DataType::kUndefined) {
            if (!ctx.has_input(1)) return ctx.invalid("missing input 1 (target_type)");
            to = ctx.input(1).dtype;
        }
        for (const std::string& why : {type_reason(from, "from"), type_reason(to, "to")})
            if (!why.empty()) return ctx.unsupported_here(why);
        if (from == DataType::kString || to == DataType::kString) {
            const Tensor* x = ctx.value(0);
            if (!x) return ctx.defer();
            if (from == to) {
                ctx.set_output_value(0, *x);
            } else if (to == DataType::kString) {
                if (is_small(from)) {  // through float32
                    Tensor f = Tensor::allocate(DataType::kFloat32, x->dims());
                    convert_small(*x, f, saturate_);
                    ctx.set_output_value(0, to_strings(f));
                } else {
                    ctx.set_output_value(0, to_strings(*x));
                }
            } else {
                EDGEINFER_ASSIGN_OR_RETURN(Tensor y, from_strings(ctx, *x, is_small(to) ? DataType::kFloat32 : to));
                if (is_small(to)) {
                    Tensor small = Tensor::allocate(to, y.dims());
                    convert_small(y, small, saturate_);
                    y = small;
                }
                ctx.set_output_value(0, std::move(y));
            }
            return Status::ok();
        }
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
        if (is_small(x.dtype()) || is_small(y.dtype())) {
            convert_small(x, y, saturate_);
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
    bool saturate_;
};

// `saturate` (opset 19): applies to float8 outputs only; 1 unless set.
Result<bool> read_saturate(const CreateContext& ctx) {
    const int64_t v = ctx.opset >= 19 ? ctx.node.attr_int("saturate", 1) : 1;
    if (v != 0 && v != 1) return ctx.invalid("attribute 'saturate' must be 0 or 1, got " + std::to_string(v));
    return v == 1;
}

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
        EDGEINFER_ASSIGN_OR_RETURN(bool saturate, read_saturate(ctx));
        return std::unique_ptr<Kernel>(new CastKernel(t, saturate));
    };
    registry.add(std::move(cast));

    KernelDef cast_like;
    cast_like.op_type = "CastLike";
    cast_like.since_version = 15;
    cast_like.end_version = kLatest;
    cast_like.supports = cast_like_supports;
    cast_like.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        EDGEINFER_ASSIGN_OR_RETURN(bool saturate, read_saturate(ctx));
        return std::unique_ptr<Kernel>(new CastKernel(DataType::kUndefined, saturate));
    };
    registry.add(std::move(cast_like));
}

}  // namespace edgeinfer::kernels::cpu
