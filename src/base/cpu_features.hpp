// The instruction-set features of the CPU this process runs on, named as Linux's /proc/cpuinfo names
// them: x86_64 from CPUID, aarch64 from the kernel's hardware capabilities (getauxval AT_HWCAP and
// AT_HWCAP2), which is also what user-mode emulation (qemu-aarch64 -cpu ...) reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgeinfer::base {

struct CpuFeatures {
    std::string architecture;           // "x86_64", "aarch64", or the compiler's name for another one
    std::vector<std::string> features;  // the ones kernels care about, in a fixed order
    int sve_bits = 0;                   // aarch64 with SVE: this thread's vector length in bits, else 0
};

// This machine's.
CpuFeatures cpu_features();

// aarch64: the features named by AT_HWCAP / AT_HWCAP2 bits (Linux's uapi asm/hwcap.h): fp, asimd
// (NEON), asimdhp, asimddp (dot product), asimdfhm, sve, sve2, bf16, i8mm, svebf16, svei8mm, sme.
std::vector<std::string> aarch64_features(uint64_t hwcap, uint64_t hwcap2);

// aarch64: the instruction-set level oneDNN's aarch64 kernels dispatch on, by oneDNN's own aarch64 names:
// "sve_<bits>" (its JIT kernels are written per SVE vector length: sve_128, sve_256, sve_512) when
// `features` has sve and `sve_bits` > 0, else "asimd" (NEON: reference and gemm kernels), "" without asimd.
// What an engine file's cpu_isa holds on arm64: an engine planned for one level is not reused on another.
std::string aarch64_isa_name(const std::vector<std::string>& features, int sve_bits);

// x86_64: the features named by CPUID registers (leaf 1 ECX, leaf 7 subleaf 0 EBX/ECX/EDX, leaf 7
// subleaf 1 EAX): sse4_2, fma, avx, avx2, avx512f, avx512bw, avx512_vnni, avx_vnni, avx512_bf16,
// amx_bf16, amx_tile, amx_int8.
struct X86Cpuid {
    uint32_t leaf1_ecx = 0, leaf7_ebx = 0, leaf7_ecx = 0, leaf7_edx = 0, leaf7_1_eax = 0;
};
std::vector<std::string> x86_features(const X86Cpuid& regs);

}  // namespace edgeinfer::base
