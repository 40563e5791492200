// Kernels: QuantizeLinear and DequantizeLinear (per-tensor, per-axis from opset 13, blocked from 21),
// DynamicQuantizeLinear, and the fused edgeinfer:Quantize (from passes/qdq_fusion) as one oneDNN reorder.
#include <cmath>
#include <limits>

#include "ir/float8.hpp"
#include "kernels/cpu/common.hpp"
#include "kernels/cpu/quantized_common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {

namespace {

// Per-shape layout of a per-axis (or per-tensor) quantization: element i uses parameter
// (i / inner) % channels.
struct QuantState : KernelState {
    int64_t outer = 1;
    int64_t channels = 1;
    int64_t inner = 1;
};

// Runs fn(begin, end, channel) over contiguous runs of elements sharing one channel.
template <typename F>
void for_each_channel_run(const QuantState& s, F&& fn) {
    int64_t runs = s.outer * s.channels;
    int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.inner));
    parallel_for(
        runs,
        [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) fn(r * s.inner, (r + 1) * s.inner, r % s.channels);
        },
        grain);
}

template <typename Q, typename X>
void quantize(const X* x, const float* scale, const Q* zp, Q* y, const QuantState& s) {
    constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
    constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
    for_each_channel_run(s, [&](int64_t b, int64_t e, int64_t c) {
        float sc = scale[c];
        float z = zp ? static_cast<float>(zp[c]) : 0.0f;
        for (int64_t i = b; i < e; ++i) {
            // nearbyint rounds half to even under the default rounding mode.
            float v = std::nearbyint(static_cast<float>(x[i]) / sc) + z;
            v = std::min(hi, std::max(lo, v));
            y[i] = static_cast<Q>(v);
        }
    });
}

// QuantizeLinear / DequantizeLinear of opsets 10-21: per-tensor, per-axis (13) and blocked (21,
// `block_size`) parameters; x, scale and output types float32/float16/bfloat16 (19); quantized types
// int8/uint8, int16/uint16 (21), int4/uint4 (21, one per byte in memory) and the four float8 types (19).
//
// Element i = ((o * D) + a) * inner + j (D = x's dim at `axis`) uses parameter
//   per-tensor 0,  per-axis a,  blocked (o * ceil(D / B) + a / B) * inner + j.
struct QdqLayout : KernelState {
    int64_t outer = 1, dim = 1, inner = 1;
    int64_t block = 0;  // 0: not blocked
    bool per_axis = false;
    int64_t params = 1;  // number of scales
};

// Where run() converts the scale (float) and zero point (double) to, in the plan's scratch.
size_t qdq_scratch_bytes(int64_t params) {
    return static_cast<size_t>(params) * (sizeof(float) + sizeof(double)) + sizeof(double);
}

Result<QdqLayout> qdq_layout(PrepareContext& ctx, int64_t axis_attr, bool per_axis_allowed, int64_t block) {
    const std::vector<int64_t>& x_dims = ctx.input(0).dims;
    const std::vector<int64_t>& s_dims = ctx.input(1).dims;
    const int64_t rank = static_cast<int64_t>(x_dims.size());
    QdqLayout l;
    l.params = shape_numel(s_dims);
    const bool per_tensor = s_dims.empty() || (s_dims.size() == 1 && l.params == 1);
    if (ctx.has_input(2) && ctx.input(2).dims != s_dims && !(per_tensor && shape_numel(ctx.input(2).dims) == 1))
        return ctx.invalid("zero point has shape " + shape_to_string(ctx.input(2).dims) + ", scale has " +
                           shape_to_string(s_dims));
    if (per_tensor && block == 0) {
        l.inner = shape_numel(x_dims);
        return l;
    }
    if (!per_axis_allowed) return ctx.invalid("scale must be a scalar before opset 13");
    int64_t axis = axis_attr;
    if (!normalize_axis(axis, rank))
        return ctx.invalid("axis " + std::to_string(axis_attr) + " is out of range for input rank " +
                           std::to_string(rank));
    for (int64_t i = 0; i < axis; ++i) l.outer *= x_dims[i];
    l.dim = x_dims[axis];
    for (int64_t i = axis + 1; i < rank; ++i) l.inner *= x_dims[i];
    if (block > 0) {
        // Blocked: scale has x's shape with ceil(D / block_size) at the axis; the last block may be short.
        std::vector<int64_t> want = x_dims;
        want[axis] = (x_dims[axis] + block - 1) / block;
        if (s_dims != want)
            return ctx.invalid("block_size " + std::to_string(block) + " along axis " + std::to_string(axis) +
                               " needs scale of shape " + shape_to_string(want) + " for input " +
                               shape_to_string(x_dims) + ", got " + shape_to_string(s_dims));
        l.block = block;
        return l;
    }
    if (s_dims.size() != 1)
        return ctx.invalid("scale of shape " + shape_to_string(s_dims) +
                           " needs block_size (opset 21); without it scale must be a scalar or 1-D");
    if (l.params != l.dim)
        return ctx.invalid("scale has " + std::to_string(l.params) + " elements, expected " + std::to_string(l.dim) +
                           " (input dim " + std::to_string(axis) + ")");
    l.per_axis = true;
    return l;
}

// Runs fn(begin, end, p0, step) over runs of elements [begin, end): element i uses parameter
// p0 + (i - begin) * step.
template <typename F>
void for_each_param_run(const QdqLayout& l, F&& fn) {
    const int64_t runs = l.outer * l.dim;
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, l.inner));
    const int64_t blocks = l.block > 0 ? (l.dim + l.block - 1) / l.block : 0;
    parallel_for(
        runs,
        [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) {
                const int64_t o = r / l.dim, a = r % l.dim;
                if (l.block > 0)
                    fn(r * l.inner, (r + 1) * l.inner, (o * blocks + a / l.block) * l.inner, 1);
                else
                    fn(r * l.inner, (r + 1) * l.inner, l.per_axis ? a : 0, 0);
            }
        },
        grain);
}

bool is_integer_qtype(DataType t) {
    return t == DataType::kUInt8 || t == DataType::kInt8 || t == DataType::kUInt16 || t == DataType::kInt16 ||
           dtype_is_int4(t);
}
bool is_qtype(DataType t, int64_t opset) {
    if (t == DataType::kUInt8 || t == DataType::kInt8) return true;
    if (dtype_is_float8(t)) return opset >= 19;
    return opset >= 21 && is_integer_qtype(t);
}
bool is_scale_type(DataType t) {
    return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kBFloat16;
}

// Element `i` of a float32/float16/bfloat16/int32 tensor as float.
float load_float(const Tensor& t, int64_t i) {
    switch (t.dtype()) {
        case DataType::kFloat16:
            return half_bits_to_float(t.data_as<uint16_t>()[i]);
        case DataType::kBFloat16:
            return bfloat16_bits_to_float(t.data_as<uint16_t>()[i]);
        case DataType::kInt32:
            return static_cast<float>(t.data_as<int32_t>()[i]);
        default:
            return t.data_as<float>()[i];
    }
}

// Element `i` of a quantized tensor as double (exact for every quantized type, int32 included).
double load_quantized(const Tensor& t, int64_t i) {
    switch (t.dtype()) {
        case DataType::kInt8:
        case DataType::kInt4:
            return t.data_as<int8_t>()[i];
        case DataType::kUInt8:
        case DataType::kUInt4:
            return t.data_as<uint8_t>()[i];
        case DataType::kInt16:
            return t.data_as<int16_t>()[i];
        case DataType::kUInt16:
            return t.data_as<uint16_t>()[i];
        case DataType::kInt32:
            return t.data_as<int32_t>()[i];
        default:
            return ir::float8_to_float(t.dtype(), t.data_as<uint8_t>()[i]);
    }
}

// Scale as float and zero point as double into scratch (the parameters are few; x is many).
void load_params(const RunContext& ctx, const QdqLayout& l, float*& scale, double*& zp) {
    scale = static_cast<float*>(ctx.scratch);
    zp = reinterpret_cast<double*>(static_cast<char*>(ctx.scratch) + static_cast<size_t>(l.params) * sizeof(float) +
                                   (8 - (static_cast<size_t>(l.params) * sizeof(float)) % 8) % 8);
    for (int64_t p = 0; p < l.params; ++p) {
        scale[p] = load_float(ctx.in(1), p);
        zp[p] = ctx.has_in(2) ? load_quantized(ctx.in(2), ctx.in(2).numel() == 1 ? 0 : p) : 0.0;
    }
}

// Integer outputs: round half to even, add the zero point, clamp to Q's range.
template <typename X, typename Q>
void quantize_int(const X* x, const float* scale, const double* zp, Q* y, const QdqLayout& l, float lo, float hi) {
    auto one = [&](int64_t i, float sc, float z) {
        // nearbyint rounds half to even under the default rounding mode.
        const float v = std::nearbyint(static_cast<float>(load(x[i])) / sc) + z;
        y[i] = static_cast<Q>(std::min(hi, std::max(lo, v)));
    };
    for_each_param_run(l, [&](int64_t b, int64_t e, int64_t p0, int64_t step) {
        if (step == 0) {  // per-tensor and per-axis runs share one parameter: keep it in registers
            const float sc = scale[p0], z = static_cast<float>(zp[p0]);
            for (int64_t i = b; i < e; ++i) one(i, sc, z);
        } else {
            for (int64_t i = b; i < e; ++i) one(i, scale[p0 + i - b], static_cast<float>(zp[p0 + i - b]));
        }
    });
}

template <typename X>
void quantize_float8(const X* x, const float* scale, const double* zp, uint8_t* y, const QdqLayout& l, DataType t,
                     bool saturate) {
    for_each_param_run(l, [&](int64_t b, int64_t e, int64_t p0, int64_t step) {
        for (int64_t i = b; i < e; ++i) {
            const int64_t p = p0 + (i - b) * step;
            y[i] =
                ir::float_to_float8(t, static_cast<float>(load(x[i])) / scale[p] + static_cast<float>(zp[p]), saturate);
        }
    });
}

template <typename X>
void quantize_to(const X* x, const float* scale, const double* zp, Tensor& y, const QdqLayout& l, bool saturate) {
    switch (y.dtype()) {
        case DataType::kUInt8:
            return quantize_int(x, scale, zp, y.data_as<uint8_t>(), l, 0.0f, 255.0f);
        case DataType::kInt8:
            return quantize_int(x, scale, zp, y.data_as<int8_t>(), l, -128.0f, 127.0f);
        case DataType::kUInt16:
            return quantize_int(x, scale, zp, y.data_as<uint16_t>(), l, 0.0f, 65535.0f);
        case DataType::kInt16:
            return quantize_int(x, scale, zp, y.data_as<int16_t>(), l, -32768.0f, 32767.0f);
        case DataType::kUInt4:
            return quantize_int(x, scale, zp, y.data_as<uint8_t>(), l, 0.0f, 15.0f);
        case DataType::kInt4:
            return quantize_int(x, scale, zp, y.data_as<int8_t>(), l, -8.0f, 7.0f);
        default:
            return quantize_float8(x, scale, zp, y.data_as<uint8_t>(), l, y.dtype(), saturate);
    }
}

class QuantizeLinear final : public Kernel {
  public:
    struct Config {
        int64_t axis = 1;
        bool per_axis = false;
        int64_t block = 0;
        DataType output_dtype = DataType::kUndefined;  // opset 21's attribute; kUndefined when absent
        bool saturate = true;
        int64_t opset = 10;
    };
    explicit QuantizeLinear(Config c) : c_(c) {}

    Status prepare(PrepareContext& ctx) const override {
        DataType x = ctx.input(0).dtype;
        if (x != DataType::kFloat32 && x != DataType::kInt32 && !(c_.opset >= 19 && is_scale_type(x)))
            return ctx.invalid("input type " + std::string(dtype_name(x)) + " is not float32 or int32" +
                               (c_.opset >= 19 ? ", float16 or bfloat16" : ""));
        const DataType st = ctx.input(1).dtype;
        if (!(st == DataType::kFloat32 || (c_.opset >= 19 && is_scale_type(st))))
            return ctx.invalid("scale type " + std::string(dtype_name(st)) + " is not " +
                               (c_.opset >= 19 ? "float32, float16 or bfloat16" : "float32"));
        DataType out = c_.output_dtype != DataType::kUndefined ? c_.output_dtype : DataType::kUInt8;
        if (ctx.has_input(2)) {
            const DataType z = ctx.input(2).dtype;
            if (c_.output_dtype != DataType::kUndefined && z != c_.output_dtype)
                return ctx.invalid("output_dtype " + std::string(dtype_name(c_.output_dtype)) +
                                   " differs from the zero point's type " + std::string(dtype_name(z)));
            out = z;
        }
        if (!is_qtype(out, c_.opset))
            return ctx.invalid("quantized type " + std::string(dtype_name(out)) + " is not supported at opset " +
                               std::to_string(c_.opset));
        EDGEINFER_ASSIGN_OR_RETURN(QdqLayout l, qdq_layout(ctx, c_.axis, c_.per_axis, c_.block));
        ctx.request_scratch(qdq_scratch_bytes(l.params));
        ctx.set_state(std::make_unique<QdqLayout>(l));
        ctx.set_output(0, out, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& l = ctx.state_as<QdqLayout>();
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        float* scale = nullptr;
        double* zp = nullptr;
        load_params(ctx, l, scale, zp);
        switch (x.dtype()) {
            case DataType::kFloat16:
                quantize_to(x.data_as<Half>(), scale, zp, y, l, c_.saturate);
                break;
            case DataType::kBFloat16:
                quantize_to(x.data_as<BFloat16>(), scale, zp, y, l, c_.saturate);
                break;
            case DataType::kInt32:
                quantize_to(x.data_as<int32_t>(), scale, zp, y, l, c_.saturate);
                break;
            default:
                quantize_to(x.data_as<float>(), scale, zp, y, l, c_.saturate);
                break;
        }
        return Status::ok();
    }

  private:
    Config c_;
};

// y = (x - zero_point) * scale, computed as float (the difference in double: exact for int32).
template <typename Y>
void dequantize_to(const Tensor& x, const float* scale, const double* zp, Y* y, const QdqLayout& l) {
    auto go = [&](auto get) {
        for_each_param_run(l, [&](int64_t b, int64_t e, int64_t p0, int64_t step) {
            for (int64_t i = b; i < e; ++i) {
                const int64_t p = p0 + (i - b) * step;
                y[i] = store<Y>(static_cast<float>(get(i) - zp[p]) * scale[p]);
            }
        });
    };
    switch (x.dtype()) {
        case DataType::kUInt8:
        case DataType::kUInt4:
            return go([p = x.data_as<uint8_t>()](int64_t i) { return double(p[i]); });
        case DataType::kInt8:
        case DataType::kInt4:
            return go([p = x.data_as<int8_t>()](int64_t i) { return double(p[i]); });
        case DataType::kUInt16:
            return go([p = x.data_as<uint16_t>()](int64_t i) { return double(p[i]); });
        case DataType::kInt16:
            return go([p = x.data_as<int16_t>()](int64_t i) { return double(p[i]); });
        case DataType::kInt32:
            return go([p = x.data_as<int32_t>()](int64_t i) { return double(p[i]); });
        default: {
            const DataType t = x.dtype();
            return go([p = x.data_as<uint8_t>(), t](int64_t i) { return double(ir::float8_to_float(t, p[i])); });
        }
    }
}

class DequantizeLinear final : public Kernel {
  public:
    DequantizeLinear(int64_t axis, bool per_axis, int64_t block, int64_t opset)
        : axis_(axis), per_axis_(per_axis), block_(block), opset_(opset) {}

    Status prepare(PrepareContext& ctx) const override {
        DataType x = ctx.input(0).dtype;
        if (!is_qtype(x, opset_) && x != DataType::kInt32)
            return ctx.invalid("input type " + std::string(dtype_name(x)) + " is not supported at opset " +
                               std::to_string(opset_));
        const DataType st = ctx.input(1).dtype;
        if (!(st == DataType::kFloat32 || (opset_ >= 19 && is_scale_type(st))))
            return ctx.invalid("scale type " + std::string(dtype_name(st)) + " is not " +
                               (opset_ >= 19 ? "float32, float16 or bfloat16" : "float32"));
        if (ctx.has_input(2) && ctx.input(2).dtype != x)
            return ctx.invalid("zero point type " + std::string(dtype_name(ctx.input(2).dtype)) +
                               " differs from input type " + std::string(dtype_name(x)));
        EDGEINFER_ASSIGN_OR_RETURN(QdqLayout l, qdq_layout(ctx, axis_, per_axis_, block_));
        ctx.request_scratch(qdq_scratch_bytes(l.params));
        ctx.set_state(std::make_unique<QdqLayout>(l));
        ctx.set_output(0, st, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& l = ctx.state_as<QdqLayout>();
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        float* scale = nullptr;
        double* zp = nullptr;
        load_params(ctx, l, scale, zp);
        switch (y.dtype()) {
            case DataType::kFloat16:
                dequantize_to(ctx.in(0), scale, zp, y.data_as<Half>(), l);
                break;
            case DataType::kBFloat16:
                dequantize_to(ctx.in(0), scale, zp, y.data_as<BFloat16>(), l);
                break;
            default:
                dequantize_to(ctx.in(0), scale, zp, y.data_as<float>(), l);
                break;
        }
        return Status::ok();
    }

  private:
    int64_t axis_;
    bool per_axis_;
    int64_t block_;
    int64_t opset_;
};

// DynamicQuantizeLinear (opset 11): uint8 with a scale and zero point computed from x's range.
class DynamicQuantizeLinear final : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        if (ctx.input(0).dtype != DataType::kFloat32) return ctx.invalid("input must be float32");
        auto state = std::make_unique<QuantState>();
        state->inner = shape_numel(ctx.input(0).dims);
        ctx.set_state(std::move(state));
        ctx.set_output(0, DataType::kUInt8, ctx.input(0).dims);
        ctx.set_output(1, DataType::kFloat32, {});
        ctx.set_output(2, DataType::kUInt8, {});
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        const float* xd = x.data_as<float>();
        float lo = 0.0f, hi = 0.0f;  // the range always includes 0
        for (int64_t i = 0; i < x.numel(); ++i) {
            lo = std::min(lo, xd[i]);
            hi = std::max(hi, xd[i]);
        }
        float scale = (hi - lo) / 255.0f;
        uint8_t zp = 0;
        if (scale != 0.0f) zp = static_cast<uint8_t>(std::nearbyint(std::min(255.0f, std::max(0.0f, -lo / scale))));
        if (ctx.outputs.size() > 1 && ctx.outputs[1]) *ctx.out(1).data_as<float>() = scale;
        if (ctx.outputs.size() > 2 && ctx.outputs[2]) *ctx.out(2).data_as<uint8_t>() = zp;
        if (ctx.outputs.empty() || !ctx.outputs[0] || x.numel() == 0) return Status::ok();
        if (scale == 0.0f) {
            std::memset(ctx.out(0).data(), 0, static_cast<size_t>(x.numel()));
            return Status::ok();
        }
        quantize<uint8_t>(xd, &scale, &zp, ctx.out(0).data_as<uint8_t>(), ctx.state_as<QuantState>());
        return Status::ok();
    }
};

// block_size (opset 21): 0 means not blocked; a negative size is an error naming the node.
Result<int64_t> read_block_size(const CreateContext& ctx) {
    const int64_t block = ctx.opset >= 21 ? ctx.node.attr_int("block_size", 0) : 0;
    if (block < 0) return ctx.invalid("block_size must be 0 or positive, got " + std::to_string(block));
    return block;
}

Result<std::unique_ptr<Kernel>> create_quantize(const CreateContext& ctx) {
    QuantizeLinear::Config c;
    c.opset = ctx.opset;
    c.per_axis = ctx.opset >= 13;
    c.axis = c.per_axis ? ctx.node.attr_int("axis", 1) : 1;
    EDGEINFER_ASSIGN_OR_RETURN(c.block, read_block_size(ctx));
    if (ctx.opset >= 19) {
        const int64_t sat = ctx.node.attr_int("saturate", 1);
        if (sat != 0 && sat != 1) return ctx.invalid("attribute 'saturate' must be 0 or 1, got " + std::to_string(sat));
        c.saturate = sat == 1;
    }
    if (ctx.opset >= 21) {
        const int64_t od = ctx.node.attr_int("output_dtype", 0);
        if (od != 0) {
            c.output_dtype = od > 0 && od <= kMaxDataTypeCode ? static_cast<DataType>(od) : DataType::kUndefined;
            if (!is_qtype(c.output_dtype, ctx.opset))
                return ctx.invalid("output_dtype " + std::to_string(od) +
                                   " is not a quantized type (uint8, int8, "
                                   "uint16, int16, uint4, int4 or a float8 type)");
        }
    }
    return std::unique_ptr<Kernel>(new QuantizeLinear(c));
}

Result<std::unique_ptr<Kernel>> create_dequantize(const CreateContext& ctx) {
    const bool per_axis = ctx.opset >= 13;
    EDGEINFER_ASSIGN_OR_RETURN(int64_t block, read_block_size(ctx));
    return std::unique_ptr<Kernel>(
        new DequantizeLinear(per_axis ? ctx.node.attr_int("axis", 1) : 1, per_axis, block, ctx.opset));
}

KernelDef qdq_def(std::string op, int64_t since, KernelFactory factory) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = 1 << 30;
    d.factory = std::move(factory);
    return d;
}

// ---------------------------------------------------------------------------------------------
// edgeinfer:Quantize: float32 -> uint8/int8 with a per-tensor constant scale and zero point, as one
// oneDNN reorder (scale 1/y_scale, destination zero point, round to nearest even, saturation). With
// attributes x_layout / y_layout ("NCHW" or "NHWC", rank 4, from passes/qdq_fusion) the same reorder
// also moves the value between NCHW and channels-last memory (dims stay NCHW).

using dnnl::memory;

struct QuantizeState : KernelState {
    bool empty = false;
    BoundPrimitive reorder;
    memory::desc sp_md;
    std::vector<int32_t> zp_mem{0};
};

class QuantizeKernel final : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<QuantizeState>();
        if (st.empty) return Status::ok();
        return onednn_guard(*ctx.label, [&]() {
            st.reorder.execute({{DNNL_ARG_FROM, ctx.in(0).data()},
                                {DNNL_ARG_TO, ctx.out(0).data()},
                                {DNNL_ARG_SCRATCHPAD, ctx.scratch}});
            return Status::ok();
        });
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        if (ctx.input(0).dtype != DataType::kFloat32) return ctx.invalid("input must be float32");
        const Tensor* scale = ctx.value(1);
        const Tensor* zp = ctx.has_input(2) ? ctx.value(2) : nullptr;
        if (scale == nullptr || (ctx.has_input(2) && zp == nullptr)) return ctx.defer();
        if (scale->dtype() != DataType::kFloat32 || scale->numel() != 1 || !(scale->data_as<float>()[0] > 0.0f))
            return ctx.invalid("scale must be a positive float32 scalar");
        std::vector<int32_t> z{0};
        if (zp != nullptr && (!read_zero_points(*zp, z) || z.size() != 1 || !is_q8(zp->dtype())))
            return ctx.invalid("zero point must be a uint8 or int8 scalar");
        const DataType out = zp ? zp->dtype() : DataType::kUInt8;
        const std::vector<int64_t>& dims = ctx.input(0).dims;
        bool nhwc[2] = {false, false};
        for (int k = 0; k < 2; ++k) {
            const char* attr = k == 0 ? "x_layout" : "y_layout";
            std::string layout = ctx.node().attr_string(attr, "NCHW");
            if (layout != "NCHW" && layout != "NHWC") return ctx.invalid(std::string(attr) + " must be NCHW or NHWC");
            nhwc[k] = layout == "NHWC";
        }
        if (nhwc[0] != nhwc[1] && dims.size() != 4)
            return ctx.invalid("x_layout/y_layout need a rank-4 input, got " + shape_to_string(dims));
        ctx.set_output(0, out, dims);
        auto st = std::make_unique<QuantizeState>();
        const int64_t n = shape_numel(ctx.input(0).dims);
        st->empty = n == 0;
        if (!st->empty) {
            st->zp_mem = z;
            dnnl::primitive_attr attr = user_scratch_attr();
            attr.set_output_scales(0, {1.0f / scale->data_as<float>()[0]});
            if (z[0] != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
            // Same memory order: one flat reorder, described as rows of 256 values when they divide it
            // (oneDNN 2.6 threads a 1-D reorder badly: 2 threads took 5x the time of one on resnet50).
            const memory::dims flat = n % 256 == 0 ? memory::dims{n / 256, 256} : memory::dims{n};
            const auto flat_tag = flat.size() == 2 ? memory::format_tag::ab : memory::format_tag::a;
            memory::desc from(flat, memory::data_type::f32, flat_tag);
            memory::desc to(flat, dnnl_type(out), flat_tag);
            if (nhwc[0] != nhwc[1]) {  // another memory order: the reorder changes it too
                auto strides = [&dims](bool cl) { return cl ? channels_last_strides(dims) : strides_of(dims); };
                from = memory::desc(to_dnnl_dims(dims), memory::data_type::f32, strides(nhwc[0]));
                to = memory::desc(to_dnnl_dims(dims), dnnl_type(out), strides(nhwc[1]));
            }
            auto& eng = onednn_engine();
            dnnl::reorder::primitive_desc pd(eng, from, eng, to, attr);
            st->sp_md = pd.scratchpad_desc();
            st->reorder = BoundPrimitive(dnnl::reorder(pd));
            st->reorder.arg(DNNL_ARG_FROM, from);
            st->reorder.arg(DNNL_ARG_TO, to);
            st->reorder.arg(DNNL_ARG_SCRATCHPAD, st->sp_md);
            if (z[0] != 0)
                st->reorder.fixed(
                    DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST,
                    wrap_memory(memory::desc({1}, memory::data_type::s32, memory::format_tag::a), st->zp_mem.data()));
            ctx.request_scratch(st->sp_md.get_size());
            ctx.set_implementation(std::string("onednn:int8:") + pd.impl_info_str() +
                                   (seven_bit_weights() ? ":7bit" : ""));
        }
        ctx.set_state(std::move(st));
        return Status::ok();
    }
};

}  // namespace

void register_quantize_kernels(KernelRegistry& registry) {
    // One kernel per op for opsets 10-21: prepare checks the types and attributes each opset allows.
    registry.add(qdq_def("QuantizeLinear", 10, create_quantize));
    registry.add(qdq_def("DequantizeLinear", 10, create_dequantize));
    registry.add(simple_def<DynamicQuantizeLinear>("DynamicQuantizeLinear", 11, 17, float_types()));
    KernelDef q = simple_def<QuantizeKernel>("Quantize", 1, 1 << 30, float_types());
    q.domain = "edgeinfer";
    registry.add(std::move(q));
}

}  // namespace edgeinfer::kernels::cpu
