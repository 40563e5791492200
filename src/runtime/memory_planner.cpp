// Arena offset assignment for non-overlapping lifetimes.
#include "runtime/memory_planner.hpp"

#include <algorithm>
#include <numeric>

namespace edgeinfer::runtime {
namespace {

constexpr size_t kAlign = 64;
size_t align_up(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests) {
    MemoryPlan plan;
    plan.offsets.assign(requests.size(), 0);
    std::vector<size_t> order(requests.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });
    struct Placed {
        size_t offset, size;
        int first, last;
    };
    std::vector<Placed> placed;
    for (size_t idx : order) {
        const BufferRequest& r = requests[idx];
        size_t size = align_up(std::max<size_t>(r.bytes, 1));
        plan.requested_bytes += size;
        // Intervals already taken during this buffer's lifetime, sorted by offset.
        std::vector<std::pair<size_t, size_t>> busy;
        for (const Placed& p : placed)
            if (p.first <= r.last_step && r.first_step <= p.last) busy.emplace_back(p.offset, p.offset + p.size);
        std::sort(busy.begin(), busy.end());
        size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
        for (const auto& [b, e] : busy) {
            if (b > cursor && b - cursor >= size && b - cursor < best_gap) {
                best = cursor;
                best_gap = b - cursor;
            }
            cursor = std::max(cursor, e);
        }
        if (best == SIZE_MAX) best = cursor;
        plan.offsets[idx] = best;
        plan.arena_bytes = std::max(plan.arena_bytes, best + size);
        placed.push_back({best, size, r.first_step, r.last_step});
    }
    return plan;
}

}  // namespace edgeinfer::runtime
