// ir::Value constructors and helpers.
#include "ir/value.hpp"

namespace edgeinfer::ir {

Value Value::of_tensor(Tensor t) {
    Value v;
    v.kind = ValueKind::kTensor;
    v.dtype = t.dtype();
    v.tensor = std::move(t);
    return v;
}

Value Value::sequence(DataType dtype, std::vector<Tensor> items) {
    Value v;
    v.kind = ValueKind::kSequence;
    v.dtype = dtype;
    v.items = std::move(items);
    return v;
}

Value Value::optional_of(Value inner) {
    inner.kind = inner.holds_sequence() ? ValueKind::kOptionalSequence : ValueKind::kOptionalTensor;
    inner.has_element = true;
    return inner;
}

Value Value::none(ValueKind kind, DataType dtype) {
    Value v;
    v.kind = kind;
    v.dtype = dtype;
    v.has_element = false;
    return v;
}

Value Value::element() const {
    if (!is_optional(kind)) return *this;
    Value v = *this;
    v.kind = kind == ValueKind::kOptionalSequence ? ValueKind::kSequence : ValueKind::kTensor;
    v.has_element = true;
    return v;
}

Value Value::clone() const {
    Value v = *this;
    if (!v.tensor.empty()) v.tensor = tensor.clone();
    for (Tensor& t : v.items) t = t.clone();
    return v;
}

std::string Value::describe() const {
    const std::string type(dtype_name(dtype));
    if (is_optional(kind) && !has_element) return "empty " + std::string(value_kind_name(kind)) + " of " + type;
    std::string prefix = is_optional(kind) ? "optional holding a " : "";
    if (holds_sequence())
        return prefix + "sequence of " + std::to_string(items.size()) + " " + type + " tensor" +
               (items.size() == 1 ? "" : "s");
    return prefix + type + " tensor " + shape_to_string(tensor.dims());
}

}  // namespace edgeinfer::ir
