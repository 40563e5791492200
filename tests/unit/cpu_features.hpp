// What the test machine's CPU computes natively, for tests whose expectations depend on it.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace edgeinfer::testing {

// The CPU computes bf16 natively (avx512_bf16 or amx_bf16) and oneDNN's ISA is not capped
// (ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA); otherwise every bf16 node falls back to fp32 and its errors are 0.
inline bool cpu_has_bf16() {
    if (std::getenv("ONEDNN_MAX_CPU_ISA") || std::getenv("DNNL_MAX_CPU_ISA")) return false;
    std::ifstream f("/proc/cpuinfo");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str().find("avx512_bf16") != std::string::npos || ss.str().find("amx_bf16") != std::string::npos;
}

}  // namespace edgeinfer::testing
