#include <gtest/gtest.h>

#include "runtime/memory_planner.hpp"

namespace edgeinfer::runtime {
namespace {

bool overlaps(const BufferRequest& a, size_t oa, const BufferRequest& b, size_t ob) {
    bool time = a.first_step <= b.last_step && b.first_step <= a.last_step;
    bool space = oa < ob + b.bytes && ob < oa + a.bytes;
    return time && space;
}

TEST(MemoryPlanner, ChainReusesMemory) {
    // A chain a→b→c→d: each buffer dies when the next one is written after it.
    std::vector<BufferRequest> r = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
    MemoryPlan p = plan_memory(r);
    EXPECT_LE(p.arena_bytes, 2 * 1024u);  // two live at a time
    EXPECT_EQ(p.requested_bytes, 4 * 1024u);
    for (size_t i = 0; i < r.size(); ++i)
        for (size_t j = i + 1; j < r.size(); ++j) EXPECT_FALSE(overlaps(r[i], p.offsets[i], r[j], p.offsets[j]));
}

TEST(MemoryPlanner, RandomLifetimesNeverOverlapAndAreAligned) {
    std::vector<BufferRequest> r;
    unsigned seed = 7;
    for (int i = 0; i < 200; ++i) {
        seed = seed * 1103515245 + 12345;
        int first = static_cast<int>(seed % 100);
        int len = static_cast<int>((seed >> 8) % 20);
        r.push_back({(seed >> 4) % 100000 + 1, first, first + len});
    }
    MemoryPlan p = plan_memory(r);
    for (size_t i = 0; i < r.size(); ++i) {
        EXPECT_EQ(p.offsets[i] % 64, 0u);
        EXPECT_LE(p.offsets[i] + r[i].bytes, p.arena_bytes);
        for (size_t j = i + 1; j < r.size(); ++j)
            ASSERT_FALSE(overlaps(r[i], p.offsets[i], r[j], p.offsets[j])) << i << " vs " << j;
    }
    EXPECT_LT(p.arena_bytes, p.requested_bytes);
}

TEST(MemoryPlanner, Empty) {
    MemoryPlan p = plan_memory({});
    EXPECT_EQ(p.arena_bytes, 0u);
}

}  // namespace
}  // namespace edgeinfer::runtime
