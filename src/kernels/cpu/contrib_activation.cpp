// Kernels: the GELU family of ONNX Runtime's com.microsoft domain, as its optimizer writes them
// (docs/operators.md, "com.microsoft"):
//
//   Gelu(X)             y = 0.5 x (1 + erf(x / sqrt 2))
//   BiasGelu(A, B)      Gelu(A + B), B 1-D over A's last dim
//   FastGelu(X[, B])    y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) of X (+ B)
//   QuickGelu(X)        y = x * sigmoid(alpha x), attribute alpha (default 1.702)
//
// float32 only. One flat loop over rows of the last dim, the optional bias added in the same pass.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

enum class GeluKind { kErf, kTanh, kQuick };

struct GeluFn {
    GeluKind kind = GeluKind::kErf;
    float alpha = 1.702f;  // QuickGelu
    float operator()(float x) const {
        switch (kind) {
            case GeluKind::kErf:
                return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
            case GeluKind::kTanh:
                return 0.5f * x * (1.0f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
            case GeluKind::kQuick:
                return x / (1.0f + std::exp(-alpha * x));
        }
        return x;
    }
};

// X, optional 1-D bias B (input 1) broadcast over X's last dim; Y has X's shape.
class GeluFamilyKernel final : public Kernel {
  public:
    GeluFamilyKernel(GeluFn fn, bool bias_required) : fn_(fn), bias_required_(bias_required) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        if (x.dtype != DataType::kFloat32)
            return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)) + " (float32 only)");
        if (bias_required_ && !ctx.has_input(1)) return ctx.invalid("input 1 (bias) is required");
        if (ctx.has_input(1)) {
            const TensorDesc& b = ctx.input(1);
            if (b.dtype != DataType::kFloat32)
                return ctx.invalid("bias has type " + std::string(dtype_name(b.dtype)) + ", expected float32");
            if (x.dims.empty() || b.dims.size() != 1 || b.dims[0] != x.dims.back())
                return ctx.invalid("bias of shape " + shape_to_string(b.dims) + " must be 1-D with X's last dim (X " +
                                   shape_to_string(x.dims) + ")");
        }
        ctx.set_output(0, DataType::kFloat32, x.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        const int64_t n = x.numel();
        if (n == 0) return Status::ok();
        const float* xs = x.data_as<float>();
        const float* bias = ctx.has_in(1) ? ctx.in(1).data_as<float>() : nullptr;
        const int64_t cols = x.dims().empty() ? 1 : x.dims().back();  // n > 0: cols > 0
        float* y = ctx.out(0).data_as<float>();
        const GeluFn fn = fn_;
        parallel_for(
            n / cols,
            [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                    const float* xr = xs + r * cols;
                    float* yr = y + r * cols;
                    if (bias) {
                        for (int64_t c = 0; c < cols; ++c) yr[c] = fn(xr[c] + bias[c]);
                    } else {
                        for (int64_t c = 0; c < cols; ++c) yr[c] = fn(xr[c]);
                    }
                }
            },
            std::max<int64_t>(1, 16384 / cols));
        return Status::ok();
    }

  private:
    GeluFn fn_;
    bool bias_required_;
};

KernelDef gelu_def(const char* op, GeluKind kind, bool bias_required) {
    KernelDef d;
    d.domain = "com.microsoft";
    d.op_type = op;
    d.since_version = 1;
    d.dtypes = float_types();
    d.factory = [kind, bias_required](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        GeluFn fn;
        fn.kind = kind;
        if (kind == GeluKind::kQuick) fn.alpha = ctx.node.attr_float("alpha", 1.702f);
        return std::unique_ptr<Kernel>(new GeluFamilyKernel(fn, bias_required));
    };
    return d;
}

}  // namespace

void register_contrib_activation_kernels(KernelRegistry& registry) {
    registry.add(gelu_def("Gelu", GeluKind::kErf, false));
    registry.add(gelu_def("BiasGelu", GeluKind::kErf, true));
    registry.add(gelu_def("FastGelu", GeluKind::kTanh, false));
    registry.add(gelu_def("QuickGelu", GeluKind::kQuick, false));
}

}  // namespace edgeinfer::kernels::cpu
