// The one list of every kernel family edgeinfer ships. A new family adds one line here.
#include "kernels/registry.hpp"

namespace edgeinfer::kernels {

namespace cpu {
// Each declared in its kernels/cpu/<family>.cpp.
}  // namespace cpu

const KernelRegistry& default_registry() {
    static const KernelRegistry registry = [] {
        KernelRegistry r;
        return r;
    }();
    return registry;
}

}  // namespace edgeinfer::kernels
