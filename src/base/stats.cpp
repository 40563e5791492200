// Latency statistics (base/stats.hpp).
#include "base/stats.hpp"

#include <algorithm>
#include <cmath>

namespace edgeinfer::base {

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const double pos = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

LatencyStats latency_stats(std::vector<double> samples) {
    LatencyStats s;
    s.count = samples.size();
    if (samples.empty()) return s;
    std::sort(samples.begin(), samples.end());
    s.p50 = percentile(samples, 50);
    s.p90 = percentile(samples, 90);
    s.p95 = percentile(samples, 95);
    s.p99 = percentile(samples, 99);
    s.min = samples.front();
    s.max = samples.back();
    double sum = 0;
    for (double x : samples) sum += x;
    s.mean = sum / static_cast<double>(samples.size());
    return s;
}

}  // namespace edgeinfer::base
