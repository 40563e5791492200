// fp16 lowering: float16 models computed in float32, with float16 kept at the graph boundary.
//
// Runtime only, and run by every Session whatever its optimization level (a float16 model cannot run
// without it): oneDNN 2.6 has no float16 convolution or matrix-product kernels for CPUs (its ISA list
// ends at avx512_core_amx; avx512_core_fp16 arrived later), so edgeinfer computes float16 models in
// float32. Float16 initializers and tensor attributes (Constant, ConstantOfShape) become float32,
// every float16 value annotation becomes float32, Cast/`dtype` attributes naming FLOAT16 name FLOAT,
// and each float16 graph input X is read through a new Cast(X -> X__fp32) while each float16 graph
// output Y is produced by a new Cast(Y__fp32 -> Y), so a session's inputs and outputs keep the dtypes
// the model declares. Results differ from native float16 arithmetic only by being more accurate
// (float16 rounding happens at the boundary only). See docs/precision.md.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Whether the model holds any float16 value, initializer, attribute or Cast to float16.
bool has_fp16(const ir::Model& model);

// Rewrites as described above. Returns whether anything changed (false for a model without float16).
bool lower_fp16_to_fp32(ir::Model& model);

}  // namespace edgeinfer::passes
