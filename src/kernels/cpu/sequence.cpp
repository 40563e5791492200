// Sequences and optionals: SequenceEmpty, SequenceConstruct, SequenceAt, SequenceInsert, SequenceErase,
// SequenceLength, SplitToSequence, ConcatFromSequence, SequenceMap, Optional, OptionalHasElement,
// OptionalGetElement.
//
// Their values (ir::Value) live outside the plan's arena. Every kernel here defers until each input value
// is known and computes its outputs in prepare (kernels/kernel.hpp): with constant inputs the node is folded
// at plan build, otherwise it is prepared, and so computed, during each run. Tensors put into a sequence are
// copied (the arena reuses their buffers); tensors taken out share the element's memory (no kernel writes
// into its inputs).
#include <cstring>

#include "kernels/cpu/common.hpp"
#include "kernels/subgraph.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

std::string kind_text(ValueKind kind) { return std::string(value_kind_name(kind)); }

// Base of the kernels here: the work happens in prepare, once every input value is known.
class ValueKernel : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        for (size_t i = 0; i < ctx.num_inputs(); ++i)
            if (ctx.has_input(i) && !ctx.known(i)) return ctx.defer();
        return compute(ctx);
    }
    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "runs while the plan prepares it; run() is never called");
    }
    bool takes_non_tensors() const override { return true; }

  protected:
    virtual Status compute(PrepareContext& ctx) const = 0;

    // Input i must be a sequence (or, with `optional_ok`, an optional holding one).
    static Result<const ir::Value*> sequence_input(const PrepareContext& ctx, size_t i, const char* what) {
        const ir::Value* v = ctx.boxed(i);
        if (!v || !v->holds_sequence())
            return ctx.invalid(std::string(what) + " must be a sequence, got a " +
                               (v ? v->describe() : kind_text(ValueKind::kTensor)));
        return v;
    }
    // Input i must be a tensor.
    static Result<const Tensor*> tensor_input(const PrepareContext& ctx, size_t i, const char* what) {
        if (ctx.boxed(i) || !ctx.value(i))
            return ctx.invalid(std::string(what) + " must be a tensor, got a " + kind_text(ctx.input(i).kind));
        return ctx.value(i);
    }
    // A one-element int32/int64 tensor `what` as a position in [-n, n) (or [-n, n] with `inclusive_end`),
    // made non-negative. Out of range is kInvalidArgument naming the node and the index.
    static Result<int64_t> position(const PrepareContext& ctx, const Tensor& t, int64_t n, bool inclusive_end,
                                    const char* what) {
        std::vector<int64_t> v;
        if (!read_int_values(t, v) || v.size() != 1)
            return ctx.invalid(std::string(what) + " must be one int32 or int64 value, got " +
                               std::string(dtype_name(t.dtype())) + " " + shape_to_string(t.dims()));
        const int64_t hi = inclusive_end ? n : n - 1;
        if (v[0] < -n || v[0] > hi)
            return ctx.invalid(std::string(what) + " " + std::to_string(v[0]) + " is out of range [" +
                               std::to_string(-n) + ", " + std::to_string(hi) + "] for a sequence of " +
                               std::to_string(n) + " tensors");
        return v[0] < 0 ? v[0] + n : v[0];
    }
};

class SequenceEmptyKernel : public ValueKernel {
  public:
    explicit SequenceEmptyKernel(DataType dtype) : dtype_(dtype) {}
    Status compute(PrepareContext& ctx) const override {
        ctx.set_output_boxed(0, ir::Value::sequence(dtype_, {}));
        return Status::ok();
    }

  private:
    DataType dtype_;
};

class SequenceConstructKernel : public ValueKernel {
    Status compute(PrepareContext& ctx) const override {
        if (ctx.num_inputs() == 0) return ctx.invalid("needs at least one input tensor");
        std::vector<Tensor> items;
        for (size_t i = 0; i < ctx.num_inputs(); ++i) {
            if (!ctx.has_input(i)) return ctx.invalid("input " + std::to_string(i) + " is omitted");
            EDGEINFER_ASSIGN_OR_RETURN(const Tensor* t, tensor_input(ctx, i, "every input"));
            if (t->dtype() != ctx.value(0)->dtype())
                return ctx.invalid("input " + std::to_string(i) + " is " + std::string(dtype_name(t->dtype())) +
                                   ", input 0 " + std::string(dtype_name(ctx.value(0)->dtype())) +
                                   ": a sequence's tensors share one dtype");
            items.push_back(t->clone());
        }
        const DataType dtype = items[0].dtype();  // before items is moved from
        ctx.set_output_boxed(0, ir::Value::sequence(dtype, std::move(items)));
        return Status::ok();
    }
};

class SequenceAtKernel : public ValueKernel {
    Status compute(PrepareContext& ctx) const override {
        EDGEINFER_ASSIGN_OR_RETURN(const ir::Value* seq, sequence_input(ctx, 0, "input_sequence"));
        EDGEINFER_ASSIGN_OR_RETURN(const Tensor* pos, tensor_input(ctx, 1, "position"));
        const auto n = static_cast<int64_t>(seq->items.size());
        EDGEINFER_ASSIGN_OR_RETURN(int64_t at, position(ctx, *pos, n, false, "position"));
        ctx.set_output_value(0, seq->items[static_cast<size_t>(at)]);
        return Status::ok();
    }
};

class SequenceInsertKernel : public ValueKernel {
    Status compute(PrepareContext& ctx) const override {
        EDGEINFER_ASSIGN_OR_RETURN(const ir::Value* seq, sequence_input(ctx, 0, "input_sequence"));
        EDGEINFER_ASSIGN_OR_RETURN(const Tensor* t, tensor_input(ctx, 1, "tensor"));
        if (seq->dtype != DataType::kUndefined && t->dtype() != seq->dtype)
            return ctx.invalid("tensor is " + std::string(dtype_name(t->dtype())) + " but the sequence holds " +
                               std::string(dtype_name(seq->dtype)) + " tensors");
        const auto n = static_cast<int64_t>(seq->items.size());
        int64_t at = n;
        if (ctx.has_input(2)) {
            EDGEINFER_ASSIGN_OR_RETURN(const Tensor* pos, tensor_input(ctx, 2, "position"));
            EDGEINFER_ASSIGN_OR_RETURN(at, position(ctx, *pos, n, true, "position"));
        }
        std::vector<Tensor> items = seq->items;
        items.insert(items.begin() + at, t->clone());
        ctx.set_output_boxed(0, ir::Value::sequence(t->dtype(), std::move(items)));
        return Status::ok();
    }
};

class SequenceEraseKernel : public ValueKernel {
    Status compute(PrepareContext& ctx) const override {
        EDGEINFER_ASSIGN_OR_RETURN(const ir::Value* seq, sequence_input(ctx, 0, "input_sequence"));
        const auto n = static_cast<int64_t>(seq->items.size());
        if (n == 0) return ctx.invalid("cannot erase from an empty sequence");
        int64_t at = n - 1;
        if (ctx.has_input(1)) {
            EDGEINFER_ASSIGN_OR_RETURN(const Tensor* pos, tensor_input(ctx, 1, "position"));
            EDGEINFER_ASSIGN_OR_RETURN(at, position(ctx, *pos, n, false, "position"));
        }
        std::vector<Tensor> items = seq->items;
        items.erase(items.begin() + at);
        ctx.set_output_boxed(0, ir::Value::sequence(seq->dtype, std::move(items)));
        return Status::ok();
    }
};

class SequenceLengthKernel : public ValueKernel {
    Status compute(PrepareContext& ctx) const override {
        EDGEINFER_ASSIGN_OR_RETURN(const ir::Value* seq, sequence_input(ctx, 0, "input_sequence"));
        ctx.set_output_value(
            0, Tensor::from_vector<int64_t>(DataType::kInt64, {}, {static_cast<int64_t>(seq->items.size())}));
        return Status::ok();
    }
};

// Rows [begin, begin + len) of `t` along `axis`, copied.
Tensor slice_axis(const Tensor& t, int64_t axis, int64_t begin, int64_t len) {
    std::vector<int64_t> dims = t.dims();
    const int64_t n = dims[axis];
    dims[axis] = len;
    Tensor out = Tensor::allocate(t.dtype(), dims);
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= dims[i];
    size_t inner = dtype_size(t.dtype());
    for (size_t i = static_cast<size_t>(axis) + 1; i < dims.size(); ++i) inner *= static_cast<size_t>(dims[i]);
    const auto* src = static_cast<const uint8_t*>(t.data());
    auto* dst = static_cast<uint8_t*>(out.data());
    const size_t chunk = inner * static_cast<size_t>(len);
    for (int64_t o = 0; o < outer && chunk > 0; ++o)
        std::memcpy(dst + o * chunk, src + (o * n + begin) * static_cast<int64_t>(inner), chunk);
    return out;
}

class SplitToSequenceKernel : public ValueKernel {
  public:
    SplitToSequenceKernel(int64_t axis, bool keepdims) : axis_(axis), keepdims_(keepdims) {}

    Status compute(PrepareContext& ctx) const override {
        EDGEINFER_ASSIGN_OR_RETURN(const Tensor* in, tensor_input(ctx, 0, "input"));
        if (in->dtype() == DataType::kString) return ctx.unsupported_here("string tensors cannot be split");
        int64_t axis = axis_;
        if (!normalize_axis(axis, in->rank()))
            return ctx.invalid("axis " + std::to_string(axis_) + " is outside rank " + std::to_string(in->rank()));
        const int64_t n = in->dims()[axis];
        std::vector<int64_t> sizes;
        bool squeeze = false;
        if (!ctx.has_input(1)) {
            sizes.assign(static_cast<size_t>(n), 1);
            squeeze = !keepdims_;
        } else {
            EDGEINFER_ASSIGN_OR_RETURN(const Tensor* split, tensor_input(ctx, 1, "split"));
            std::vector<int64_t> v;
            if (!read_int_values(*split, v) || split->rank() > 1)
                return ctx.invalid("split must be an int32 or int64 scalar or 1-D tensor");
            if (split->rank() == 0) {
                if (v[0] <= 0) return ctx.invalid("split " + std::to_string(v[0]) + " must be positive");
                for (int64_t at = 0; at < n; at += v[0]) sizes.push_back(std::min(v[0], n - at));
            } else {
                int64_t total = 0;
                for (int64_t s : v) {
                    if (s < 0) return ctx.invalid("split holds the negative size " + std::to_string(s));
                    total += s;
                }
                if (total != n)
                    return ctx.invalid("split sizes add up to " + std::to_string(total) + ", the axis has " +
                                       std::to_string(n));
                sizes = v;
            }
        }
        std::vector<Tensor> items;
        int64_t at = 0;
        for (int64_t s : sizes) {
            Tensor part = slice_axis(*in, axis, at, s);
            at += s;
            if (squeeze) {
                std::vector<int64_t> dims = part.dims();
                dims.erase(dims.begin() + axis);
                part = part.reshaped(dims);
            }
            items.push_back(std::move(part));
        }
        ctx.set_output_boxed(0, ir::Value::sequence(in->dtype(), std::move(items)));
        return Status::ok();
    }

  private:
    int64_t axis_;
    bool keepdims_;
};

class ConcatFromSequenceKernel : public ValueKernel {
  public:
    ConcatFromSequenceKernel(int64_t axis, bool new_axis) : axis_(axis), new_axis_(new_axis) {}

    Status compute(PrepareContext& ctx) const override {
        EDGEINFER_ASSIGN_OR_RETURN(const ir::Value* seq, sequence_input(ctx, 0, "input_sequence"));
        if (seq->items.empty()) return ctx.invalid("input_sequence is empty: nothing to concatenate");
        const Tensor& first = seq->items[0];
        if (first.dtype() == DataType::kString) return ctx.unsupported_here("string tensors cannot be concatenated");
        const int64_t rank = first.rank();
        int64_t axis = axis_;
        if (!normalize_axis(axis, new_axis_ ? rank + 1 : rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is outside rank " +
                               std::to_string(new_axis_ ? rank + 1 : rank));
        // Each item as dims with the concatenation axis present (stacking inserts a 1).
        std::vector<int64_t> out_dims = first.dims();
        if (new_axis_) out_dims.insert(out_dims.begin() + axis, 1);
        out_dims[axis] = 0;
        for (size_t k = 0; k < seq->items.size(); ++k) {
            std::vector<int64_t> d = seq->items[k].dims();
            if (new_axis_ && static_cast<int64_t>(d.size()) == rank) d.insert(d.begin() + axis, 1);
            bool fits = static_cast<int64_t>(d.size()) == static_cast<int64_t>(out_dims.size()) &&
                        seq->items[k].dtype() == first.dtype();
            for (size_t i = 0; fits && i < d.size(); ++i) fits = static_cast<int64_t>(i) == axis || d[i] == out_dims[i];
            if (!fits)
                return ctx.invalid("tensor " + std::to_string(k) + " (" + shape_to_string(seq->items[k].dims()) +
                                   ") does not match tensor 0 (" + shape_to_string(first.dims()) + ") off axis " +
                                   std::to_string(axis));
            out_dims[axis] += d[axis];
        }
        Tensor out = Tensor::allocate(first.dtype(), out_dims);
        int64_t outer = 1;
        for (int64_t i = 0; i < axis; ++i) outer *= out_dims[i];
        size_t inner = dtype_size(first.dtype());
        for (size_t i = static_cast<size_t>(axis) + 1; i < out_dims.size(); ++i)
            inner *= static_cast<size_t>(out_dims[i]);
        const size_t out_row = inner * static_cast<size_t>(out_dims[axis]);
        auto* dst = static_cast<uint8_t*>(out.data());
        size_t offset = 0;
        for (const Tensor& t : seq->items) {
            const size_t rows = outer > 0 ? t.nbytes() / static_cast<size_t>(outer) : 0;
            const auto* src = static_cast<const uint8_t*>(t.data());
            for (int64_t o = 0; o < outer && rows > 0; ++o)
                std::memcpy(dst + o * out_row + offset, src + o * rows, rows);
            offset += rows;
        }
        ctx.set_output_value(0, std::move(out));
        return Status::ok();
    }

  private:
    int64_t axis_;
    bool new_axis_;
};

// SequenceMap(input_sequence, additional_inputs...): the body once per element of input_sequence, given that
// element and, for each additional input, its element at the same position (sequences) or itself (tensors).
class SequenceMapKernel : public ValueKernel {
  public:
    SequenceMapKernel(std::unique_ptr<Subgraph> body, size_t explicit_inputs, std::vector<DataType> out_types)
        : body_(std::move(body)), explicit_inputs_(explicit_inputs), out_types_(std::move(out_types)) {}

    Status compute(PrepareContext& ctx) const override {
        EDGEINFER_ASSIGN_OR_RETURN(const ir::Value* seq, sequence_input(ctx, 0, "input_sequence"));
        const size_t n = seq->items.size();
        if (body_->num_formal_inputs() != explicit_inputs_)
            return ctx.invalid("body takes " + std::to_string(body_->num_formal_inputs()) + " inputs, the node gives " +
                               std::to_string(explicit_inputs_));
        if (body_->num_outputs() != ctx.num_outputs())
            return ctx.invalid("body has " + std::to_string(body_->num_outputs()) + " outputs, the node " +
                               std::to_string(ctx.num_outputs()));
        for (size_t j = 1; j < explicit_inputs_; ++j) {
            const ir::Value* v = ctx.boxed(j);
            if (v && !v->holds_sequence())
                return ctx.invalid("additional input " + std::to_string(j) + " is a " + v->describe());
            if (v && v->items.size() != n)
                return ctx.invalid("additional input " + std::to_string(j) + " holds " +
                                   std::to_string(v->items.size()) + " tensors, input_sequence " + std::to_string(n));
        }
        std::vector<std::vector<Tensor>> results(ctx.num_outputs());
        std::vector<ir::Value> args(ctx.num_inputs());
        std::vector<const ir::Value*> ptrs;
        for (ir::Value& a : args) ptrs.push_back(&a);
        for (size_t i = explicit_inputs_; i < ctx.num_inputs(); ++i)
            args[i] = ctx.boxed(i) ? *ctx.boxed(i) : ir::Value::of_tensor(*ctx.value(i));
        std::vector<ir::Value> outs;
        for (size_t e = 0; e < n; ++e) {
            for (size_t j = 0; j < explicit_inputs_; ++j) {
                const ir::Value* v = ctx.boxed(j);
                args[j] = ir::Value::of_tensor(v ? v->items[e] : *ctx.value(j));
            }
            EDGEINFER_RETURN_IF_ERROR(body_->run_values(ptrs, outs));
            for (size_t k = 0; k < outs.size(); ++k) {
                if (outs[k].kind != ValueKind::kTensor)
                    return ctx.invalid("body output " + std::to_string(k) + " is a " + outs[k].describe() +
                                       "; SequenceMap collects tensors");
                results[k].push_back(std::move(outs[k].tensor));
            }
        }
        for (size_t k = 0; k < results.size(); ++k) {
            DataType dt = results[k].empty() ? out_types_[k] : results[k][0].dtype();
            ctx.set_output_boxed(k, ir::Value::sequence(dt, std::move(results[k])));
        }
        return Status::ok();
    }

  private:
    std::unique_ptr<Subgraph> body_;
    size_t explicit_inputs_;
    std::vector<DataType> out_types_;  // the body's declared output dtypes (for empty sequences)
};

// Optional(input) holds the input; Optional() with attribute `type` is an empty optional of that type.
class OptionalKernel : public ValueKernel {
  public:
    OptionalKernel(ValueKind kind, DataType dtype) : kind_(kind), dtype_(dtype) {}
    Status compute(PrepareContext& ctx) const override {
        if (!ctx.has_input(0)) {
            ctx.set_output_boxed(0, ir::Value::none(kind_, dtype_));
            return Status::ok();
        }
        const ir::Value* v = ctx.boxed(0);
        if (v && ir::is_optional(v->kind)) return ctx.invalid("input is already an optional");
        ctx.set_output_boxed(0, ir::Value::optional_of(v ? *v : ir::Value::of_tensor(*ctx.value(0))));
        return Status::ok();
    }

  private:
    ValueKind kind_;
    DataType dtype_;
};

class OptionalHasElementKernel : public ValueKernel {
    Status compute(PrepareContext& ctx) const override {
        bool has = false;
        if (ctx.has_input(0)) {
            const ir::Value* v = ctx.boxed(0);
            has = !v || !ir::is_optional(v->kind) || v->has_element;  // opset 18: a tensor or sequence has one
        }
        ctx.set_output_value(0, Tensor::from_vector<uint8_t>(DataType::kBool, {}, {static_cast<uint8_t>(has)}));
        return Status::ok();
    }
};

class OptionalGetElementKernel : public ValueKernel {
    Status compute(PrepareContext& ctx) const override {
        if (!ctx.has_input(0)) return ctx.invalid("input is omitted");
        const ir::Value* v = ctx.boxed(0);
        if (!v) {  // opset 18: a tensor passes through
            ctx.set_output_value(0, *ctx.value(0));
            return Status::ok();
        }
        if (ir::is_optional(v->kind) && !v->has_element)
            return ctx.invalid("input is an empty optional: it holds no element to get");
        ctx.set_output_boxed(0, v->element());
        return Status::ok();
    }
};

KernelDef value_def(std::string op, int64_t since, KernelFactory factory) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.factory = std::move(factory);
    return d;
}

template <typename K>
KernelDef value_def(std::string op, int64_t since) {
    return value_def(std::move(op), since, [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new K());
    });
}

Result<std::unique_ptr<Kernel>> make_sequence_map(const CreateContext& ctx) {
    const ir::Attribute* a = ctx.node.find_attribute("body");
    if (!a || a->kind != ir::Attribute::Kind::kGraph || !a->g) return ctx.invalid("graph attribute 'body' is missing");
    if (!ctx.subgraphs) return ctx.invalid("no subgraph compiler available");
    if (ctx.node.inputs.empty()) return ctx.invalid("needs input_sequence");
    std::vector<std::string> outer = ir::implicit_inputs(ctx.node);
    const size_t explicit_inputs = ctx.node.inputs.size();
    std::vector<DataType> types;
    for (size_t i = 0; i < outer.size(); ++i)
        types.push_back(explicit_inputs + i < ctx.input_types.size() ? ctx.input_types[explicit_inputs + i]
                                                                     : DataType::kUndefined);
    EDGEINFER_ASSIGN_OR_RETURN(auto body, ctx.subgraphs->compile(*a->g, outer, types, ctx.label + ": body"));
    std::vector<DataType> out_types;
    for (const ir::ValueInfo& v : a->g->outputs) out_types.push_back(v.dtype);
    return std::unique_ptr<Kernel>(new SequenceMapKernel(std::move(body), explicit_inputs, std::move(out_types)));
}

}  // namespace

void register_sequence_kernels(KernelRegistry& registry) {
    registry.add(value_def("SequenceEmpty", 11, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const auto dtype = static_cast<DataType>(ctx.node.attr_int("dtype", static_cast<int64_t>(DataType::kFloat32)));
        if (dtype_name(dtype) == "undefined") return ctx.invalid("attribute dtype names no data type");
        return std::unique_ptr<Kernel>(new SequenceEmptyKernel(dtype));
    }));
    registry.add(value_def<SequenceConstructKernel>("SequenceConstruct", 11));
    registry.add(value_def<SequenceAtKernel>("SequenceAt", 11));
    registry.add(value_def<SequenceInsertKernel>("SequenceInsert", 11));
    registry.add(value_def<SequenceEraseKernel>("SequenceErase", 11));
    registry.add(value_def<SequenceLengthKernel>("SequenceLength", 11));
    registry.add(value_def("SplitToSequence", 11, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(
            new SplitToSequenceKernel(ctx.node.attr_int("axis", 0), ctx.node.attr_int("keepdims", 1) != 0));
    }));
    registry.add(value_def("ConcatFromSequence", 11, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Attribute* axis = ctx.node.find_attribute("axis");
        if (!axis) return ctx.invalid("attribute axis is required");
        return std::unique_ptr<Kernel>(new ConcatFromSequenceKernel(axis->i, ctx.node.attr_int("new_axis", 0) != 0));
    }));
    registry.add(value_def("SequenceMap", 17, make_sequence_map));
    registry.add(value_def("Optional", 15, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Attribute* type = ctx.node.find_attribute("type");
        if (ctx.node.inputs.empty() || ctx.node.inputs[0].empty()) {
            if (!type || type->kind != ir::Attribute::Kind::kType)
                return ctx.invalid("an Optional without input needs attribute type");
            if (ir::is_optional(type->type.kind)) return ctx.invalid("attribute type is itself an optional");
        }
        ValueKind kind = ValueKind::kOptionalTensor;
        DataType dtype = DataType::kUndefined;
        if (type && type->kind == ir::Attribute::Kind::kType) {
            kind = type->type.kind == ValueKind::kSequence ? ValueKind::kOptionalSequence : ValueKind::kOptionalTensor;
            dtype = type->type.dtype;
        }
        return std::unique_ptr<Kernel>(new OptionalKernel(kind, dtype));
    }));
    registry.add(value_def<OptionalHasElementKernel>("OptionalHasElement", 15));
    registry.add(value_def<OptionalGetElementKernel>("OptionalGetElement", 15));
}

}  // namespace edgeinfer::kernels::cpu
