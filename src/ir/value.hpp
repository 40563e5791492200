// ir::Value: a runtime value of any ONNX kind — one tensor, a sequence of tensors, or an optional
// holding a tensor or a sequence. Plans keep ordinary tensors in their arena; values of the other
// kinds live here, owned by the run that made them (runtime/plan.hpp), and only the kernels that
// take them (sequence and optional operators, Identity, If, Loop, SequenceMap) ever see them.
#pragma once

#include <string>
#include <vector>

#include "edgeinfer/tensor.hpp"

namespace edgeinfer::ir {

using edgeinfer::ValueKind;

// True for the kinds that are not one plain tensor.
inline bool is_boxed(ValueKind kind) { return kind != ValueKind::kTensor; }
inline bool is_optional(ValueKind kind) {
    return kind == ValueKind::kOptionalTensor || kind == ValueKind::kOptionalSequence;
}

struct Value {
    ValueKind kind = ValueKind::kTensor;
    DataType dtype = DataType::kUndefined;  // the tensor's, or the sequence elements' (known for empty ones)
    bool has_element = true;                // optionals: false for an empty optional (None)
    Tensor tensor;                          // kTensor, and kOptionalTensor holding one
    std::vector<Tensor> items;              // kSequence, and kOptionalSequence holding one

    static Value of_tensor(Tensor t);
    static Value sequence(DataType dtype, std::vector<Tensor> items);
    // An optional holding `inner` (a tensor or a sequence value).
    static Value optional_of(Value inner);
    // An empty optional of `kind` (kOptionalTensor or kOptionalSequence).
    static Value none(ValueKind kind, DataType dtype);

    // Holds a sequence now (kSequence, or an optional sequence with an element).
    bool holds_sequence() const {
        return kind == ValueKind::kSequence || (kind == ValueKind::kOptionalSequence && has_element);
    }
    bool holds_tensor() const {
        return kind == ValueKind::kTensor || (kind == ValueKind::kOptionalTensor && has_element);
    }
    // The value an optional holds (a tensor or a sequence value); the value itself when not optional.
    Value element() const;
    // Tensors copied into owned storage (values that outlive the buffers they were read from).
    Value clone() const;
    // "sequence of 3 float32 tensors", "empty optional(tensor) of int64", "float32 tensor 2x3".
    std::string describe() const;
};

}  // namespace edgeinfer::ir
