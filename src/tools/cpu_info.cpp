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
    // x86: oneDNN's effective ISA; aarch64: the level its aarch64 kernels dispatch on (asimd, sve_256, ...).
    c.onednn_isa = runtime::effective_isa_name();
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
