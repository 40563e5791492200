// Denormal weight flushing: float32 weights below FLT_MIN in magnitude become 0.
#pragma once

#include <cstdint>

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Replaces subnormal float32 initializer values (0 < |x| < FLT_MIN) by +0/-0 keeping the sign.
// Subnormals contribute nothing measurable to results but can make CPU arithmetic on them many
// times slower. `flushed`, when given, receives how many values changed. Returns whether any did.
bool flush_denormals(ir::Model& model, int64_t* flushed = nullptr);

}  // namespace edgeinfer::passes
