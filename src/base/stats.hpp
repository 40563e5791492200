// Latency statistics: the one percentile definition every printed p50/p90/p95/p99 uses.
#pragma once

#include <cstddef>
#include <vector>

namespace edgeinfer::base {

// The p-th percentile (0..100) of `sorted` (ascending) by linear interpolation between the closest
// ranks, as numpy's default; 0 for no samples.
double percentile(const std::vector<double>& sorted, double p);

struct LatencyStats {
    double p50 = 0, p90 = 0, p95 = 0, p99 = 0, mean = 0, min = 0, max = 0;
    size_t count = 0;
};
// Statistics of `samples` (any order).
LatencyStats latency_stats(std::vector<double> samples);

}  // namespace edgeinfer::base
