// runtime::plan_memory: offsets in one arena for buffers whose lifetimes are known.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgeinfer::runtime {

struct BufferRequest {
    size_t bytes = 0;
    int first_step = 0;  // step that writes it
    int last_step = 0;   // last step that reads it (inclusive)
};

struct MemoryPlan {
    std::vector<size_t> offsets;  // one per request, 64-byte aligned
    size_t arena_bytes = 0;
    size_t requested_bytes = 0;  // sum of all requests (what no reuse would need)
};

// Greedy best-fit by decreasing size: buffers whose lifetimes overlap never share bytes.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests);

}  // namespace edgeinfer::runtime
