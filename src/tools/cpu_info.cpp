// tools::cpu_info: the CPU facts bench and inspect print (base/cpu_features.hpp, oneDNN's effective ISA).
#include <algorithm>
#include <sstream>
#include <thread>

#include "base/cpu_features.hpp"
#include "edgeinfer/tools.hpp"
#include "runtime/engine_file.hpp"

namespace edgeinfer::tools {

CpuInfo cpu_info() {
    base::CpuFeatures f = base::cpu_features();
    CpuInfo c;
    c.architecture = std::move(f.architecture);
    c.features = std::move(f.features);
#if defined(__x86_64__) || defined(__i386__)
    c.onednn_isa = runtime::effective_isa_name();
#else
    // oneDNN's cpu_isa enum has x86 names only; elsewhere its values stand for other ISAs (an arm64
    // Cortex-A72 reads as "sse41" through them), so name none.
    c.onednn_isa = "-";
#endif
    c.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return c;
}

std::string format_text(const CpuInfo& cpu) {
    std::ostringstream out;
    out << cpu.architecture << ", " << cpu.cores << (cpu.cores == 1 ? " core" : " cores") << ":";
    if (cpu.features.empty()) out << " (no features detected)";
    for (const std::string& f : cpu.features) out << " " << f;
    out << " (oneDNN ISA " << cpu.onednn_isa << ")";
    return out.str();
}

}  // namespace edgeinfer::tools
