// flush_denormals.
#include "passes/denormal_flushing.hpp"

#include <cmath>
#include <cstring>

namespace edgeinfer::passes {

namespace {

// Exponent bits all zero, mantissa not: a subnormal (a bit test, fast on every float).
inline bool subnormal(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return (bits & 0x7f800000u) == 0 && (bits & 0x007fffffu) != 0;
}

}  // namespace

bool flush_denormals(ir::Model& model, int64_t* flushed) {
    int64_t count = 0;
    for (auto& [name, t] : model.graph.initializers) {
        if (t.dtype() != DataType::kFloat32) continue;
        const float* src = t.data_as<float>();
        int64_t here = 0;
        for (int64_t i = 0; i < t.numel(); ++i) here += subnormal(src[i]);
        if (here == 0) continue;
        Tensor copy = t.clone();  // tensors may be shared with a snapshot of the model: never write in place
        float* dst = copy.data_as<float>();
        for (int64_t i = 0; i < copy.numel(); ++i)
            if (subnormal(dst[i])) dst[i] = std::copysign(0.0f, dst[i]);
        t = copy;
        count += here;
    }
    if (flushed) *flushed = count;
    return count > 0;
}

}  // namespace edgeinfer::passes
