// CPU facts (base/cpu_features, tools::cpu_info) on both architectures: the hardware-capability and
// CPUID decoders on known bits, then this machine: on x86_64 against /proc/cpuinfo's flags; on aarch64
// (a board, or qemu-aarch64 with QEMU_CPU=cortex-a72 / max as scripts/test-arm64 runs it) against what
// that CPU model has. bench and inspect carry the same facts in their reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "base/cpu_features.hpp"
#include "edgeinfer/tools.hpp"
#include "runtime/engine_file.hpp"

namespace edgeinfer::testing {
namespace {

bool has(const std::vector<std::string>& v, const std::string& f) {
    return std::find(v.begin(), v.end(), f) != v.end();
}

// The words after "flags" (x86) or "Features" (arm64) in /proc/cpuinfo's first processor; empty when absent.
std::set<std::string> proc_cpuinfo_flags(const std::string& key) {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind(key, 0) != 0) continue;
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::istringstream words(line.substr(colon + 1));
        std::set<std::string> out;
        for (std::string w; words >> w;) out.insert(w);
        return out;
    }
    return {};
}

TEST(CpuFeatures, DecodesAarch64Hwcaps) {
    // HWCAP_FP | HWCAP_ASIMD: a Cortex-A72 (Raspberry Pi 4) has NEON and nothing newer.
    EXPECT_EQ(base::aarch64_features(0x3, 0), (std::vector<std::string>{"fp", "asimd"}));
    // + HWCAP_ASIMDDP (20), HWCAP_SVE (22); HWCAP2_SVE2 (1), HWCAP2_I8MM (13), HWCAP2_BF16 (14).
    uint64_t hwcap = 0x3 | (1u << 20) | (1u << 22), hwcap2 = (1u << 1) | (1u << 13) | (1u << 14);
    EXPECT_EQ(base::aarch64_features(hwcap, hwcap2),
              (std::vector<std::string>{"fp", "asimd", "asimddp", "sve", "sve2", "bf16", "i8mm"}));
    EXPECT_TRUE(base::aarch64_features(0, 0).empty());
}

TEST(CpuFeatures, NamesAarch64IsaLevel) {
    // oneDNN's aarch64 kernels dispatch on NEON vs SVE at a vector length: the engine file's cpu_isa there.
    EXPECT_EQ(base::aarch64_isa_name({"fp", "asimd"}, 0), "asimd");                        // Raspberry Pi 4
    EXPECT_EQ(base::aarch64_isa_name({"fp", "asimd", "asimdhp", "asimddp"}, 0), "asimd");  // Pi 5
    EXPECT_EQ(base::aarch64_isa_name({"fp", "asimd", "sve", "sve2"}, 128), "sve_128");     // e.g. Neoverse N2
    EXPECT_EQ(base::aarch64_isa_name({"fp", "asimd", "sve"}, 256), "sve_256");             // Neoverse V1
    EXPECT_EQ(base::aarch64_isa_name({"fp", "asimd", "sve"}, 512), "sve_512");             // A64FX
    EXPECT_EQ(base::aarch64_isa_name({"fp", "asimd", "sve"}, 0), "asimd");                 // SVE length unknown: NEON's
    EXPECT_EQ(base::aarch64_isa_name({"fp", "asimd"}, 256), "asimd");  // a length without sve: ignored
    EXPECT_EQ(base::aarch64_isa_name({}, 0), "");
}

TEST(CpuFeatures, DecodesX86Cpuid) {
    base::X86Cpuid r;
    r.leaf1_ecx = (1u << 20) | (1u << 12) | (1u << 28);  // sse4_2, fma, avx
    r.leaf7_ebx = 1u << 5;                               // avx2
    EXPECT_EQ(base::x86_features(r), (std::vector<std::string>{"sse4_2", "fma", "avx", "avx2"}));
    r.leaf7_ebx |= (1u << 16) | (1u << 30);  // avx512f, avx512bw
    r.leaf7_ecx = 1u << 11;                  // avx512_vnni
    r.leaf7_1_eax = 1u << 5;                 // avx512_bf16
    r.leaf7_edx = 1u << 24;                  // amx_tile
    auto f = base::x86_features(r);
    for (const char* want : {"avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile"})
        EXPECT_TRUE(has(f, want)) << want;
    EXPECT_FALSE(has(f, "avx_vnni"));
    EXPECT_FALSE(has(f, "amx_int8"));
}

TEST(CpuInfo, ThisMachine) {
    tools::CpuInfo cpu = tools::cpu_info();
    EXPECT_GE(cpu.cores, 1);
    EXPECT_FALSE(cpu.onednn_isa.empty());
#if defined(__x86_64__)
    EXPECT_EQ(cpu.architecture, "x86_64");
    std::set<std::string> flags = proc_cpuinfo_flags("flags");
    if (flags.empty()) GTEST_SKIP() << "no flags line in /proc/cpuinfo";
    // Features the kernel never hides from /proc/cpuinfo when CPUID has them.
    for (const char* f : {"sse4_2", "fma", "avx2"}) EXPECT_EQ(has(cpu.features, f), flags.count(f) == 1) << f;
    for (const std::string& f : cpu.features) EXPECT_EQ(flags.count(f), 1u) << f << " not in /proc/cpuinfo";
#elif defined(__aarch64__)
    EXPECT_EQ(cpu.architecture, "aarch64");
    EXPECT_TRUE(has(cpu.features, "asimd"));  // every ARMv8-A Linux system
    // The ISA level names an aarch64 one (no x86 name such as "sse41" from oneDNN's x86-only enum).
    EXPECT_TRUE(cpu.onednn_isa == "asimd" || cpu.onednn_isa.rfind("sve_", 0) == 0) << cpu.onednn_isa;
    const char* qemu_cpu = std::getenv("QEMU_CPU");
    std::string model = qemu_cpu ? qemu_cpu : "";
    if (model == "cortex-a72") {  // Raspberry Pi 4: NEON only
        for (const char* f : {"asimddp", "sve", "bf16", "i8mm"}) EXPECT_FALSE(has(cpu.features, f)) << f;
        EXPECT_EQ(cpu.onednn_isa, "asimd");
    } else if (model == "max") {  // every feature qemu emulates; SVE at qemu-user's default length
        for (const char* f : {"asimddp", "sve", "sve2", "bf16", "i8mm"}) EXPECT_TRUE(has(cpu.features, f)) << f;
        EXPECT_GT(base::cpu_features().sve_bits, 0);
        EXPECT_EQ(cpu.onednn_isa, "sve_" + std::to_string(base::cpu_features().sve_bits));
    } else {
        std::set<std::string> flags = proc_cpuinfo_flags("Features");
        for (const std::string& f : cpu.features) {
            if (!flags.empty()) {
                EXPECT_EQ(flags.count(f), 1u) << f << " not in /proc/cpuinfo";
            }
        }
    }
#else
    GTEST_SKIP() << "no CPU feature checks for " << cpu.architecture;
#endif
}

// Engine files record the same ISA level cpu_info reports, so an engine planned on a Pi 4 (asimd) is not
// reused on an SVE server, and none on arm64 carries an x86 name.
TEST(CpuInfo, EngineHeaderRecordsTheIsaLevel) {
    runtime::EngineHeader h = runtime::make_engine_header(std::string(64, '0'), SessionOptions{}, 1);
    auto it = std::find_if(h.begin(), h.end(), [](const auto& f) { return f.first == "cpu_isa"; });
    ASSERT_NE(it, h.end());
    EXPECT_EQ(it->second, tools::cpu_info().onednn_isa);
    EXPECT_FALSE(it->second.empty());
#if defined(__aarch64__)
    for (const char* x86 : {"sse41", "avx", "all"}) EXPECT_EQ(it->second.find(x86), std::string::npos) << it->second;
#endif
}

TEST(CpuInfo, FormatsOneLine) {
    tools::CpuInfo cpu{"aarch64", {"asimd", "sve"}, "all", 4};
    EXPECT_EQ(tools::format_text(cpu), "aarch64, 4 cores: asimd sve (oneDNN ISA all)");
    cpu.features.clear();
    cpu.cores = 1;
    EXPECT_EQ(tools::format_text(cpu), "aarch64, 1 core: (no features detected) (oneDNN ISA all)");
}

TEST(CpuInfo, InspectAndBenchReportIt) {
    const std::string model = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.onnx";
    tools::CpuInfo cpu = tools::cpu_info();
    auto info = tools::inspect(model);
    ASSERT_TRUE(info.is_ok()) << info.status().to_string();
    EXPECT_EQ(info->cpu.architecture, cpu.architecture);
    EXPECT_EQ(info->cpu.features, cpu.features);
    auto j = nlohmann::json::parse(tools::to_json(*info));
    EXPECT_EQ(j["cpu"]["architecture"], cpu.architecture);
    EXPECT_NE(tools::format_text(*info).find("cpu:     " + tools::format_text(cpu)), std::string::npos);

    tools::BenchOptions o;
    o.iterations = 2;
    o.duration = 0.01;
    o.warmup = 0;
    auto bench = tools::benchmark(model, o);
    ASSERT_TRUE(bench.is_ok()) << bench.status().to_string();
    EXPECT_EQ(bench->cpu.features, cpu.features);
    auto bj = nlohmann::json::parse(tools::to_json(*bench, model, o));
    EXPECT_EQ(bj["cpu"]["features"].size(), cpu.features.size());
    EXPECT_NE(tools::format_text(*bench, model, o).find("cpu:         " + tools::format_text(cpu)), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
