// Kernels: QuantizeLinear and DequantizeLinear (per-tensor, and per-axis from opset 13).
#include <cmath>
#include <limits>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {

namespace {

// Per-shape layout of a per-axis (or per-tensor) quantization: element i uses parameter
// (i / inner) % channels.
struct QuantState : KernelState {
    int64_t outer = 1;
    int64_t channels = 1;
    int64_t inner = 1;
};

// Validates the scale / zero point shapes against x and builds the channel layout.
Status prepare_layout(PrepareContext& ctx, int64_t axis_attr, bool per_axis_allowed) {
    const std::vector<int64_t>& x_dims = ctx.input(0).dims;
    const TensorDesc& scale = ctx.input(1);
    int64_t scale_n = shape_numel(scale.dims);
    auto state = std::make_unique<QuantState>();
    bool per_tensor = scale.dims.empty() || (scale.dims.size() == 1 && scale_n == 1);
    if (!per_tensor) {
        if (!per_axis_allowed) return ctx.invalid("scale must be a scalar before opset 13");
        if (scale.dims.size() != 1) return ctx.invalid("scale must be a scalar or a 1-D tensor");
        int64_t axis = axis_attr;
        if (!normalize_axis(axis, static_cast<int64_t>(x_dims.size())))
            return ctx.invalid("axis " + std::to_string(axis_attr) + " is out of range for input rank " +
                               std::to_string(x_dims.size()));
        if (scale_n != x_dims[axis])
            return ctx.invalid("scale has " + std::to_string(scale_n) + " elements, expected " +
                               std::to_string(x_dims[axis]) + " (input dim " + std::to_string(axis) + ")");
        for (int64_t i = 0; i < axis; ++i) state->outer *= x_dims[i];
        state->channels = x_dims[axis];
        for (size_t i = static_cast<size_t>(axis) + 1; i < x_dims.size(); ++i) state->inner *= x_dims[i];
    } else {
        state->inner = shape_numel(x_dims);
    }
    if (ctx.has_input(2) && shape_numel(ctx.input(2).dims) != scale_n)
        return ctx.invalid("zero point has " + std::to_string(shape_numel(ctx.input(2).dims)) +
                           " elements, scale has " + std::to_string(scale_n));
    ctx.set_state(std::move(state));
    return Status::ok();
}

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

template <typename Q>
void dequantize(const Q* x, const float* scale, const Q* zp, float* y, const QuantState& s) {
    for_each_channel_run(s, [&](int64_t b, int64_t e, int64_t c) {
        float sc = scale[c];
        int64_t z = zp ? static_cast<int64_t>(zp[c]) : 0;
        for (int64_t i = b; i < e; ++i) y[i] = static_cast<float>(static_cast<int64_t>(x[i]) - z) * sc;
    });
}

bool is_quant_type(DataType t) { return t == DataType::kUInt8 || t == DataType::kInt8; }

class QuantizeLinear final : public Kernel {
  public:
    QuantizeLinear(int64_t axis, bool per_axis) : axis_(axis), per_axis_(per_axis) {}

    Status prepare(PrepareContext& ctx) const override {
        DataType x = ctx.input(0).dtype;
        if (x != DataType::kFloat32 && x != DataType::kInt32)
            return ctx.invalid("input type " + std::string(dtype_name(x)) + " is not float32 or int32");
        if (ctx.input(1).dtype != DataType::kFloat32) return ctx.invalid("scale must be float32");
        DataType out = DataType::kUInt8;
        if (ctx.has_input(2)) {
            out = ctx.input(2).dtype;
            if (!is_quant_type(out))
                return ctx.invalid("zero point type " + std::string(dtype_name(out)) + " is not uint8 or int8");
        }
        EDGEINFER_RETURN_IF_ERROR(prepare_layout(ctx, axis_, per_axis_));
        ctx.set_output(0, out, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& s = ctx.state_as<QuantState>();
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        const float* scale = ctx.in(1).data_as<float>();
        const void* zp = ctx.has_in(2) ? ctx.in(2).data() : nullptr;
        auto go = [&](auto q) {
            using Q = decltype(q);
            if (x.dtype() == DataType::kFloat32)
                quantize<Q>(x.data_as<float>(), scale, static_cast<const Q*>(zp), y.data_as<Q>(), s);
            else
                quantize<Q>(x.data_as<int32_t>(), scale, static_cast<const Q*>(zp), y.data_as<Q>(), s);
        };
        if (y.dtype() == DataType::kUInt8)
            go(uint8_t{});
        else
            go(int8_t{});
        return Status::ok();
    }

  private:
    int64_t axis_;
    bool per_axis_;
};

class DequantizeLinear final : public Kernel {
  public:
    DequantizeLinear(int64_t axis, bool per_axis) : axis_(axis), per_axis_(per_axis) {}

    Status prepare(PrepareContext& ctx) const override {
        DataType x = ctx.input(0).dtype;
        if (!is_quant_type(x) && x != DataType::kInt32)
            return ctx.invalid("input type " + std::string(dtype_name(x)) + " is not uint8, int8 or int32");
        if (ctx.input(1).dtype != DataType::kFloat32) return ctx.invalid("scale must be float32");
        if (ctx.has_input(2) && ctx.input(2).dtype != x)
            return ctx.invalid("zero point type " + std::string(dtype_name(ctx.input(2).dtype)) +
                               " differs from input type " + std::string(dtype_name(x)));
        EDGEINFER_RETURN_IF_ERROR(prepare_layout(ctx, axis_, per_axis_));
        ctx.set_output(0, DataType::kFloat32, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& s = ctx.state_as<QuantState>();
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        const float* scale = ctx.in(1).data_as<float>();
        const void* zp = ctx.has_in(2) ? ctx.in(2).data() : nullptr;
        auto go = [&](auto q) {
            using Q = decltype(q);
            dequantize<Q>(x.data_as<Q>(), scale, static_cast<const Q*>(zp), y.data_as<float>(), s);
        };
        switch (x.dtype()) {
            case DataType::kUInt8:
                go(uint8_t{});
                break;
            case DataType::kInt8:
                go(int8_t{});
                break;
            default:
                go(int32_t{});
                break;
        }
        return Status::ok();
    }

  private:
    int64_t axis_;
    bool per_axis_;
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

template <typename K>
KernelDef quant_def(std::string op, int64_t since, int64_t end, std::vector<DataType> dtypes) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = end;
    d.dtypes = std::move(dtypes);
    d.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        bool per_axis = ctx.opset >= 13;
        return std::unique_ptr<Kernel>(new K(per_axis ? ctx.node.attr_int("axis", 1) : 1, per_axis));
    };
    return d;
}

}  // namespace

void register_quantize_kernels(KernelRegistry& registry) {
    const std::vector<DataType> q_in{DataType::kFloat32, DataType::kInt32};
    const std::vector<DataType> dq_in{DataType::kUInt8, DataType::kInt8, DataType::kInt32};
    registry.add(quant_def<QuantizeLinear>("QuantizeLinear", 10, 12, q_in));
    registry.add(quant_def<QuantizeLinear>("QuantizeLinear", 13, 17, q_in));
    registry.add(quant_def<DequantizeLinear>("DequantizeLinear", 10, 12, dq_in));
    registry.add(quant_def<DequantizeLinear>("DequantizeLinear", 13, 17, dq_in));
    registry.add(simple_def<DynamicQuantizeLinear>("DynamicQuantizeLinear", 11, 17, float_types()));
}

}  // namespace edgeinfer::kernels::cpu
