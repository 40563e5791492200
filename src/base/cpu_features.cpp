#include "base/cpu_features.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <algorithm>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#include <sys/prctl.h>
#endif

namespace edgeinfer::base {
namespace {

struct Bit {
    int word;  // index into the words a decoder is given
    int bit;
    const char* name;
};

std::vector<std::string> decode(const std::vector<uint64_t>& words, const std::vector<Bit>& table) {
    std::vector<std::string> out;
    for (const Bit& b : table)
        if ((words[b.word] >> b.bit) & 1u) out.emplace_back(b.name);
    return out;
}

}  // namespace

std::vector<std::string> aarch64_features(uint64_t hwcap, uint64_t hwcap2) {
    // Bit positions of Linux's arch/arm64/include/uapi/asm/hwcap.h (word 0 HWCAP_*, word 1 HWCAP2_*).
    static const std::vector<Bit> table = {
        {0, 0, "fp"},   {0, 1, "asimd"}, {0, 10, "asimdhp"}, {0, 20, "asimddp"}, {0, 23, "asimdfhm"}, {0, 22, "sve"},
        {1, 1, "sve2"}, {1, 14, "bf16"}, {1, 13, "i8mm"},    {1, 12, "svebf16"}, {1, 9, "svei8mm"},   {1, 23, "sme"},
    };
    return decode({hwcap, hwcap2}, table);
}

std::string aarch64_isa_name(const std::vector<std::string>& features, int sve_bits) {
    auto has = [&features](const char* f) { return std::find(features.begin(), features.end(), f) != features.end(); };
    if (has("sve") && sve_bits > 0) return "sve_" + std::to_string(sve_bits);
    return has("asimd") ? "asimd" : "";
}

std::vector<std::string> x86_features(const X86Cpuid& r) {
    // Words: 0 leaf 1 ECX, 1 leaf 7 EBX, 2 leaf 7 ECX, 3 leaf 7 EDX, 4 leaf 7 subleaf 1 EAX.
    static const std::vector<Bit> table = {
        {0, 20, "sse4_2"},     {0, 12, "fma"},      {0, 28, "avx"},         {1, 5, "avx2"},
        {1, 16, "avx512f"},    {1, 30, "avx512bw"}, {2, 11, "avx512_vnni"}, {4, 4, "avx_vnni"},
        {4, 5, "avx512_bf16"}, {3, 22, "amx_bf16"}, {3, 24, "amx_tile"},    {3, 25, "amx_int8"},
    };
    return decode({r.leaf1_ecx, r.leaf7_ebx, r.leaf7_ecx, r.leaf7_edx, r.leaf7_1_eax}, table);
}

CpuFeatures cpu_features() {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    f.architecture = "x86_64";
#if defined(__i386__)
    f.architecture = "i386";
#endif
    X86Cpuid r;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) r.leaf1_ecx = c;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        r.leaf7_ebx = b;
        r.leaf7_ecx = c;
        r.leaf7_edx = d;
        unsigned subleaves = a;
        if (subleaves >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) r.leaf7_1_eax = a;
    }
    f.features = x86_features(r);
#elif defined(__aarch64__)
    f.architecture = "aarch64";
#if defined(__linux__)
    f.features = aarch64_features(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
#if defined(PR_SVE_GET_VL)
    // The vector length in bytes in the low 16 bits (PR_SVE_VL_LEN_MASK); -1 (EINVAL) without SVE.
    int vl = prctl(PR_SVE_GET_VL);
    if (vl > 0 && std::find(f.features.begin(), f.features.end(), "sve") != f.features.end())
        f.sve_bits = (vl & 0xffff) * 8;
#endif
#endif
#elif defined(__arm__)
    f.architecture = "arm";
#elif defined(__riscv)
    f.architecture = "riscv64";
#elif defined(__powerpc64__)
    f.architecture = "ppc64";
#else
    f.architecture = "unknown";
#endif
    return f;
}

}  // namespace edgeinfer::base
