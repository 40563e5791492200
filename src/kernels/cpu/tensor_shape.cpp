// Kernels: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Constant, ConstantOfShape, Range, Identity, Dropout,
// Expand, EyeLike (shape bookkeeping and tensor creation, any dtype).
#include <cmath>
#include <functional>
#include <optional>
#include <type_traits>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/tensor_copy.hpp"

namespace edgeinfer::kernels::cpu {

namespace {

constexpr int64_t kMaxInputRank = 16;

// Every dtype with a fixed element size (all but strings).
const std::vector<DataType>& copyable_types() {
    static const std::vector<DataType> v{
        DataType::kFloat32, DataType::kUInt8,  DataType::kInt8,      DataType::kUInt16,     DataType::kInt16,
        DataType::kInt32,   DataType::kInt64,  DataType::kBool,      DataType::kFloat16,    DataType::kFloat64,
        DataType::kUInt32,  DataType::kUInt64, DataType::kComplex64, DataType::kComplex128, DataType::kBFloat16};
    return v;
}

std::string list_to_string(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

// Reads the int values of input i; known=false when the value is not available yet (caller defers).
Status read_input_ints(PrepareContext& ctx, size_t i, const char* what, std::vector<int64_t>& out, bool& known) {
    known = false;
    const Tensor* t = ctx.value(i);
    if (t == nullptr) return Status::ok();
    if (t->rank() > 1) return ctx.invalid(std::string(what) + " must be 1-D, got shape " + shape_to_string(t->dims()));
    if (!read_int_values(*t, out))
        return ctx.invalid(std::string(what) + " must be int32 or int64, got " + std::string(dtype_name(t->dtype())));
    known = true;
    return Status::ok();
}

// Copies input 0 to output 0 byte for byte (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout).
void copy_bytes(const Tensor& in, Tensor& out) {
    const size_t bytes = out.nbytes();
    if (bytes == 0) return;
    const auto* src = static_cast<const uint8_t*>(in.data());
    auto* dst = static_cast<uint8_t*>(out.data());
    parallel_for(
        static_cast<int64_t>(bytes),
        [&](int64_t begin, int64_t end) { std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin)); },
        int64_t{1} << 20);
}

// Writes `n` copies of the `esize`-byte pattern `value`.
void fill_bytes(void* data, int64_t n, const void* value, size_t esize) {
    auto* dst = static_cast<uint8_t*>(data);
    parallel_for(n, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) std::memcpy(dst + i * esize, value, esize);
    });
}

// The value 1 in `dtype` as bytes; false for dtypes without one.
bool one_bytes(DataType dtype, uint8_t* out) {
    if (dtype == DataType::kFloat16 || dtype == DataType::kBFloat16) {
        uint16_t v = dtype == DataType::kFloat16 ? 0x3C00 : 0x3F80;
        std::memcpy(out, &v, 2);
        return true;
    }
    return dispatch_numeric(dtype, [&](auto t) {
        using T = decltype(t);
        T v = static_cast<T>(1);
        std::memcpy(out, &v, sizeof(T));
    });
}

// Kernels that only change the shape: run is a byte copy.
class CopyKernel : public Kernel {
  public:
    Status run(RunContext& ctx) const override {
        copy_bytes(ctx.in(0), ctx.out(0));
        return Status::ok();
    }
};

// ---------------------------------------------------------------------------------------------
// Shape, Size

class ShapeKernel : public Kernel {
  public:
    ShapeKernel(int64_t start, std::optional<int64_t> end) : start_(start), end_(end) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& dims = ctx.input(0).dims;
        auto [b, e] = range(static_cast<int64_t>(dims.size()));
        std::vector<int64_t> v(dims.begin() + b, dims.begin() + e);
        ctx.set_output_value(0, Tensor::from_vector(DataType::kInt64, {e - b}, v));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& dims = ctx.in(0).dims();
        auto [b, e] = range(static_cast<int64_t>(dims.size()));
        for (int64_t i = b; i < e; ++i) ctx.out(0).data_as<int64_t>()[i - b] = dims[i];
        return Status::ok();
    }

  private:
    std::pair<int64_t, int64_t> range(int64_t rank) const {
        auto clamp = [rank](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank); };
        int64_t b = clamp(start_), e = clamp(end_.value_or(rank));
        return {b, std::max(b, e)};
    }

    int64_t start_;
    std::optional<int64_t> end_;
};

class SizeKernel : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        int64_t n = shape_numel(ctx.input(0).dims);
        ctx.set_output_value(0, Tensor::from_vector(DataType::kInt64, {}, std::vector<int64_t>{n}));
        return Status::ok();
    }
    Status run(RunContext& ctx) const override {
        ctx.out(0).data_as<int64_t>()[0] = ctx.in(0).numel();
        return Status::ok();
    }
};

// ---------------------------------------------------------------------------------------------
// Reshape, Flatten, Squeeze, Unsqueeze

class ReshapeKernel : public CopyKernel {
  public:
    // Opset < 5: the shape is the attribute `shape` (attr_mode).
    ReshapeKernel(bool attr_mode, std::vector<int64_t> shape, bool allowzero)
        : attr_mode_(attr_mode), shape_(std::move(shape)), allowzero_(allowzero) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        std::vector<int64_t> shape = shape_;
        if (!attr_mode_) {
            bool known = false;
            EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 1, "shape", shape, known));
            if (!known) return ctx.defer();
        }
        std::vector<int64_t> out = shape;
        int64_t infer = -1, known_numel = 1;
        for (size_t i = 0; i < shape.size(); ++i) {
            if (shape[i] == -1) {
                if (infer >= 0) return ctx.invalid("shape " + list_to_string(shape) + " has more than one -1");
                infer = static_cast<int64_t>(i);
                continue;
            }
            if (shape[i] < -1) return ctx.invalid("shape " + list_to_string(shape) + " has a negative dimension");
            if (shape[i] == 0 && !allowzero_) {
                if (i >= in.dims.size())
                    return ctx.invalid("shape " + list_to_string(shape) + " copies dimension " + std::to_string(i) +
                                       " (0) but the input " + shape_to_string(in.dims) + " has rank " +
                                       std::to_string(in.dims.size()));
                out[i] = in.dims[i];
            }
            known_numel *= out[i];
        }
        const int64_t numel = shape_numel(in.dims);
        if (infer >= 0) {
            if (known_numel == 0 || numel % known_numel != 0)
                return ctx.invalid("cannot reshape input of shape " + shape_to_string(in.dims) + " (" +
                                   std::to_string(numel) + " elements) to shape " + list_to_string(shape));
            out[infer] = numel / known_numel;
        } else if (known_numel != numel) {
            return ctx.invalid("cannot reshape input of shape " + shape_to_string(in.dims) + " (" +
                               std::to_string(numel) + " elements) to shape " + list_to_string(shape) + " (" +
                               std::to_string(known_numel) + " elements)");
        }
        ctx.set_output(0, in.dtype, out);
        return Status::ok();
    }

  private:
    bool attr_mode_;
    std::vector<int64_t> shape_;
    bool allowzero_;
};

class FlattenKernel : public CopyKernel {
  public:
    explicit FlattenKernel(int64_t axis) : axis_(axis) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(in.dims.size());
        int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
        if (axis < 0 || axis > rank)
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        int64_t outer = 1, inner = 1;
        for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= in.dims[i];
        ctx.set_output(0, in.dtype, {outer, inner});
        return Status::ok();
    }

  private:
    int64_t axis_;
};

class SqueezeKernel : public CopyKernel {
  public:
    // axes_input: axes come from input 1 (opset >= 13) instead of the attribute.
    SqueezeKernel(bool axes_input, std::vector<int64_t> axes) : axes_input_(axes_input), axes_(std::move(axes)) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(in.dims.size());
        std::vector<int64_t> axes = axes_;
        if (axes_input_ && ctx.has_input(1)) {
            bool known = false;
            EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 1, "axes", axes, known));
            if (!known) return ctx.defer();
        }
        std::vector<bool> drop(rank, false);
        if (axes.empty()) {
            for (int64_t i = 0; i < rank; ++i) drop[i] = in.dims[i] == 1;
        }
        for (int64_t a : axes) {
            int64_t axis = a;
            if (!normalize_axis(axis, rank))
                return ctx.invalid("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
            if (in.dims[axis] != 1)
                return ctx.invalid("cannot squeeze axis " + std::to_string(a) + " of input shape " +
                                   shape_to_string(in.dims) + ": its size is " + std::to_string(in.dims[axis]) +
                                   ", not 1");
            drop[axis] = true;
        }
        std::vector<int64_t> out;
        for (int64_t i = 0; i < rank; ++i)
            if (!drop[i]) out.push_back(in.dims[i]);
        ctx.set_output(0, in.dtype, out);
        return Status::ok();
    }

  private:
    bool axes_input_;
    std::vector<int64_t> axes_;
};

class UnsqueezeKernel : public CopyKernel {
  public:
    UnsqueezeKernel(bool axes_input, std::vector<int64_t> axes) : axes_input_(axes_input), axes_(std::move(axes)) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        std::vector<int64_t> axes = axes_;
        if (axes_input_) {
            if (!ctx.has_input(1)) return ctx.invalid("input 'axes' is required");
            bool known = false;
            EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 1, "axes", axes, known));
            if (!known) return ctx.defer();
        }
        const int64_t out_rank = static_cast<int64_t>(in.dims.size() + axes.size());
        std::vector<bool> inserted(out_rank, false);
        for (int64_t a : axes) {
            int64_t axis = a;
            if (!normalize_axis(axis, out_rank) || inserted[axis])
                return ctx.invalid("axes " + list_to_string(axes) + " are out of range or repeated for output rank " +
                                   std::to_string(out_rank));
            inserted[axis] = true;
        }
        std::vector<int64_t> out(out_rank, 1);
        size_t next = 0;
        for (int64_t i = 0; i < out_rank; ++i)
            if (!inserted[i]) out[i] = in.dims[next++];
        ctx.set_output(0, in.dtype, out);
        return Status::ok();
    }

  private:
    bool axes_input_;
    std::vector<int64_t> axes_;
};

class IdentityKernel : public CopyKernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        if (ctx.input(0).kind != ValueKind::kTensor) {
            // A sequence or an optional: passed on as a value (kernels/kernel.hpp), once it is known.
            if (!ctx.boxed(0)) return ctx.defer();
            ctx.set_output_boxed(0, *ctx.boxed(0));
            return Status::ok();
        }
        ctx.set_output(0, ctx.input(0).dtype, ctx.input(0).dims);
        return Status::ok();
    }
    bool takes_non_tensors() const override { return true; }
};

// ---------------------------------------------------------------------------------------------
// Dropout (inference: the output is the input, the mask is all ones)

class DropoutKernel : public Kernel {
  public:
    // bool_mask: the mask is bool from opset 10, the input type before.
    explicit DropoutKernel(bool bool_mask) : bool_mask_(bool_mask) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        if (ctx.has_input(2)) {  // training_mode (opset 12+)
            const Tensor* training = ctx.value(2);
            if (training == nullptr) return ctx.defer();
            if (training->numel() != 1 || training->dtype() != DataType::kBool)
                return ctx.invalid("training_mode must be a bool scalar");
            if (*training->data_as<bool>()) {
                double ratio = 0.5;
                if (ctx.has_input(1)) {
                    const Tensor* r = ctx.value(1);
                    if (r == nullptr) return ctx.defer();
                    if (r->numel() != 1) return ctx.invalid("ratio must be a scalar");
                    dispatch_numeric(r->dtype(),
                                     [&](auto t) { ratio = static_cast<double>(r->data_as<decltype(t)>()[0]); });
                }
                if (ratio != 0.0)
                    return ctx.unsupported_here("training_mode=true with ratio " + std::to_string(ratio) +
                                                " drops values at random; edgeinfer runs inference only");
            }
        }
        ctx.set_output(0, in.dtype, in.dims);
        DataType mask_type = bool_mask_ ? DataType::kBool : in.dtype;
        uint8_t one[16] = {};
        if (ctx.num_outputs() > 1 && !one_bytes(mask_type, one))
            return ctx.unsupported_here("mask output of type " + std::string(dtype_name(mask_type)));
        ctx.set_output(1, mask_type, in.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        copy_bytes(ctx.in(0), ctx.out(0));
        if (ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr && ctx.out(1).numel() > 0) {
            Tensor& mask = ctx.out(1);
            uint8_t one[16] = {};
            one_bytes(mask.dtype(), one);
            fill_bytes(mask.data(), mask.numel(), one, dtype_size(mask.dtype()));
        }
        return Status::ok();
    }

  private:
    bool bool_mask_;
};

// ---------------------------------------------------------------------------------------------
// Constant, ConstantOfShape, Range, EyeLike

class ConstantKernel : public Kernel {
  public:
    explicit ConstantKernel(Tensor value) : value_(std::move(value)) {}

    Status prepare(PrepareContext& ctx) const override {
        ctx.set_output_value(0, value_);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        if (value_.dtype() != DataType::kString && value_.nbytes() > 0)
            std::memcpy(ctx.out(0).data(), value_.data(), value_.nbytes());
        return Status::ok();
    }

  private:
    Tensor value_;
};

Result<std::unique_ptr<Kernel>> create_constant(const CreateContext& ctx) {
    const ir::Node& n = ctx.node;
    if (n.attributes.size() != 1)
        return ctx.invalid("exactly one of the value attributes must be set, got " +
                           std::to_string(n.attributes.size()));
    const ir::Attribute& a = n.attributes[0];
    using Kind = ir::Attribute::Kind;
    Tensor t;
    if (a.name == "value" && a.kind == Kind::kTensor) {
        t = a.t;
    } else if (a.name == "value_float" && a.kind == Kind::kFloat) {
        t = Tensor::from_vector(DataType::kFloat32, {}, std::vector<float>{a.f});
    } else if (a.name == "value_floats" && a.kind == Kind::kFloats) {
        t = Tensor::from_vector(DataType::kFloat32, {static_cast<int64_t>(a.floats.size())}, a.floats);
    } else if (a.name == "value_int" && a.kind == Kind::kInt) {
        t = Tensor::from_vector(DataType::kInt64, {}, std::vector<int64_t>{a.i});
    } else if (a.name == "value_ints" && a.kind == Kind::kInts) {
        t = Tensor::from_vector(DataType::kInt64, {static_cast<int64_t>(a.ints.size())}, a.ints);
    } else if (a.name == "value_string" && a.kind == Kind::kString) {
        t = Tensor::strings({}, {a.s});
    } else if (a.name == "value_strings" && a.kind == Kind::kStrings) {
        t = Tensor::strings({static_cast<int64_t>(a.strings.size())}, a.strings);
    } else {
        return ctx.invalid("attribute '" + a.name + "' of kind " + std::string(ir::attribute_kind_name(a.kind)) +
                           " is not a supported constant value");
    }
    if (t.empty()) return ctx.invalid("attribute '" + a.name + "' holds no tensor");
    return std::unique_ptr<Kernel>(new ConstantKernel(std::move(t)));
}

class ConstantOfShapeKernel : public Kernel {
  public:
    explicit ConstantOfShapeKernel(Tensor value) : value_(std::move(value)) {}

    Status prepare(PrepareContext& ctx) const override {
        std::vector<int64_t> dims;
        bool known = false;
        EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 0, "shape", dims, known));
        if (!known) return ctx.defer();
        for (int64_t d : dims)
            if (d < 0) return ctx.invalid("shape " + list_to_string(dims) + " has a negative dimension");
        ctx.set_output(0, value_.dtype(), dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        Tensor& out = ctx.out(0);
        if (out.numel() > 0) fill_bytes(out.data(), out.numel(), value_.data(), dtype_size(value_.dtype()));
        return Status::ok();
    }

  private:
    Tensor value_;
};

Result<std::unique_ptr<Kernel>> create_constant_of_shape(const CreateContext& ctx) {
    const ir::Attribute* a = ctx.node.find_attribute("value");
    if (a == nullptr)
        return std::unique_ptr<Kernel>(new ConstantOfShapeKernel(Tensor::allocate(DataType::kFloat32, {1})));
    if (a->kind != ir::Attribute::Kind::kTensor || a->t.numel() != 1)
        return ctx.invalid("attribute 'value' must be a one-element tensor");
    if (dtype_size(a->t.dtype()) == 0)
        return ctx.invalid("attribute 'value' has unsupported type " + std::string(dtype_name(a->t.dtype())));
    return std::unique_ptr<Kernel>(new ConstantOfShapeKernel(a->t));
}

class RangeKernel : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        const DataType dtype = ctx.input(0).dtype;
        for (size_t i = 0; i < 3; ++i) {
            if (!ctx.has_input(i)) return ctx.invalid("needs inputs start, limit and delta");
            if (ctx.input(i).dtype != dtype || shape_numel(ctx.input(i).dims) != 1)
                return ctx.invalid("start, limit and delta must be scalars of one type");
        }
        if (!ctx.value(0) || !ctx.value(1) || !ctx.value(2)) return ctx.defer();
        int64_t n = 0;
        Status st = Status::ok();
        bool ok = dispatch_numeric(dtype, [&](auto t) {
            using T = decltype(t);
            if constexpr (std::is_same_v<T, bool>) {
                st = ctx.invalid("bool is not a valid Range type");
            } else {
                T start = ctx.value(0)->data_as<T>()[0], limit = ctx.value(1)->data_as<T>()[0];
                T delta = ctx.value(2)->data_as<T>()[0];
                if (delta == T(0)) {
                    st = ctx.invalid("delta must not be 0");
                    return;
                }
                if constexpr (std::is_integral_v<T>) {
                    // Exact integer count: no rounding of large int64 values through double.
                    const int64_t s = start, l = limit, d = delta;
                    n = d > 0 ? (l > s ? (l - s + d - 1) / d : 0) : (s > l ? (s - l - d - 1) / -d : 0);
                } else {
                    n = static_cast<int64_t>(
                        std::ceil(static_cast<double>(limit - start) / static_cast<double>(delta)));
                }
                n = std::max<int64_t>(0, n);
            }
        });
        if (!ok) return ctx.invalid("type " + std::string(dtype_name(dtype)) + " is not supported");
        EDGEINFER_RETURN_IF_ERROR(st);
        ctx.set_output(0, dtype, {n});
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        Tensor& out = ctx.out(0);
        dispatch_numeric(out.dtype(), [&](auto t) {
            using T = decltype(t);
            if constexpr (!std::is_same_v<T, bool>) {
                T v = ctx.in(0).data_as<T>()[0];
                const T delta = ctx.in(2).data_as<T>()[0];
                T* dst = out.data_as<T>();
                // Accumulate as the ONNX reference and onnxruntime do.
                for (int64_t i = 0; i < out.numel(); ++i, v = static_cast<T>(v + delta)) dst[i] = v;
            }
        });
        return Status::ok();
    }
};

class EyeLikeKernel : public Kernel {
  public:
    EyeLikeKernel(DataType dtype, int64_t k) : dtype_(dtype), k_(k) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        if (in.dims.size() != 2) return ctx.invalid("input must be 2-D, got shape " + shape_to_string(in.dims));
        DataType dtype = dtype_ == DataType::kUndefined ? in.dtype : dtype_;
        uint8_t one[16];
        if (!one_bytes(dtype, one)) return ctx.unsupported_here("output type " + std::string(dtype_name(dtype)));
        ctx.set_output(0, dtype, in.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        Tensor& out = ctx.out(0);
        if (out.numel() == 0) return Status::ok();
        const size_t es = dtype_size(out.dtype());
        auto* dst = static_cast<uint8_t*>(out.data());
        std::memset(dst, 0, out.nbytes());
        uint8_t one[16];
        one_bytes(out.dtype(), one);
        const int64_t rows = out.dims()[0], cols = out.dims()[1];
        for (int64_t r = std::max<int64_t>(0, -k_); r < rows && r + k_ < cols; ++r)
            std::memcpy(dst + (r * cols + r + k_) * es, one, es);
        return Status::ok();
    }

  private:
    DataType dtype_;
    int64_t k_;
};

// ---------------------------------------------------------------------------------------------
// Expand

class ExpandKernel : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        std::vector<int64_t> shape, out;
        bool known = false;
        EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 1, "shape", shape, known));
        if (!known) return ctx.defer();
        if (!broadcast_shapes(in.dims, shape, out))
            return ctx.invalid("cannot expand input of shape " + shape_to_string(in.dims) + " to shape " +
                               list_to_string(shape));
        if (static_cast<int64_t>(out.size()) > kMaxInputRank)
            return ctx.unsupported_here("output rank " + std::to_string(out.size()) + " exceeds " +
                                        std::to_string(kMaxInputRank));
        ctx.set_state(std::make_unique<StridedCopy>(out, broadcast_strides(in.dims, out), 0, dtype_size(in.dtype)));
        ctx.set_output(0, in.dtype, out);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        if (ctx.out(0).numel() > 0) ctx.state_as<StridedCopy>().run(ctx.in(0).data(), ctx.out(0).data());
        return Status::ok();
    }
};

// ---------------------------------------------------------------------------------------------
// Registration

using Factory = std::function<Result<std::unique_ptr<Kernel>>(const CreateContext&)>;

KernelDef make_def(std::string op, int64_t since, int64_t end, std::vector<DataType> dtypes, Factory factory) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = end;
    d.dtypes = std::move(dtypes);
    d.factory = std::move(factory);
    return d;
}

template <typename K>
Factory plain() {
    return [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> { return std::unique_ptr<Kernel>(new K()); };
}

}  // namespace

void register_tensor_shape_kernels(KernelRegistry& registry) {
    constexpr int64_t kLast = 1 << 30;
    const auto& any = copyable_types();
    registry.add(make_def("Shape", 1, kLast, {}, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        if (ctx.opset < 15) return std::unique_ptr<Kernel>(new ShapeKernel(0, std::nullopt));
        std::optional<int64_t> end;
        if (ctx.node.find_attribute("end")) end = ctx.node.attr_int("end", 0);
        return std::unique_ptr<Kernel>(new ShapeKernel(ctx.node.attr_int("start", 0), end));
    }));
    registry.add(make_def("Size", 1, kLast, {}, plain<SizeKernel>()));
    registry.add(make_def("Reshape", 1, 4, any, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        if (!ctx.node.find_attribute("shape")) return ctx.invalid("attribute 'shape' is required");
        return std::unique_ptr<Kernel>(new ReshapeKernel(true, ctx.node.attr_ints("shape"), false));
    }));
    registry.add(make_def("Reshape", 5, kLast, any, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        bool allowzero = ctx.opset >= 14 && ctx.node.attr_int("allowzero", 0) != 0;
        return std::unique_ptr<Kernel>(new ReshapeKernel(false, {}, allowzero));
    }));
    registry.add(make_def("Flatten", 1, kLast, any, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new FlattenKernel(ctx.node.attr_int("axis", 1)));
    }));
    registry.add(make_def("Squeeze", 1, kLast, any, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        bool from_input = ctx.opset >= 13;
        return std::unique_ptr<Kernel>(
            new SqueezeKernel(from_input, from_input ? std::vector<int64_t>{} : ctx.node.attr_ints("axes")));
    }));
    registry.add(make_def("Unsqueeze", 1, kLast, any, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        bool from_input = ctx.opset >= 13;
        if (!from_input && !ctx.node.find_attribute("axes")) return ctx.invalid("attribute 'axes' is required");
        return std::unique_ptr<Kernel>(
            new UnsqueezeKernel(from_input, from_input ? std::vector<int64_t>{} : ctx.node.attr_ints("axes")));
    }));
    registry.add(make_def("Identity", 1, kLast, any, plain<IdentityKernel>()));
    registry.add(make_def("Dropout", 1, kLast, any, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new DropoutKernel(ctx.opset >= 10));
    }));
    KernelDef constant = make_def("Constant", 1, kLast, {}, create_constant);
    constant.supports = [](const CreateContext& ctx) -> std::string {
        return ctx.node.find_attribute("sparse_value") ? "sparse_value constants are not supported" : "";
    };
    registry.add(std::move(constant));
    registry.add(make_def("ConstantOfShape", 9, kLast, {DataType::kInt64}, create_constant_of_shape));
    registry.add(
        make_def("Range", 11, kLast,
                 {DataType::kFloat32, DataType::kFloat64, DataType::kInt16, DataType::kInt32, DataType::kInt64},
                 plain<RangeKernel>()));
    registry.add(make_def("Expand", 8, kLast, any, plain<ExpandKernel>()));
    registry.add(make_def("EyeLike", 9, kLast, {}, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        auto dtype = static_cast<DataType>(ctx.node.attr_int("dtype", 0));
        return std::unique_ptr<Kernel>(new EyeLikeKernel(dtype, ctx.node.attr_int("k", 0)));
    }));
}

}  // namespace edgeinfer::kernels::cpu
