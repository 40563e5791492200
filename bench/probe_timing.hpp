// Timing for the oneDNN probes in bench/ (*_probe.cpp, built by hand, not by CMake): repeated runs of a callable
// or a primitive, in milliseconds, sorted so a probe can take the minimum, a quantile or the median.
#pragma once

#include <algorithm>
#include <chrono>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

// Milliseconds of each of `reps` calls of `run`, ascending. No warm-up: call `run` first where it needs one.
template <class Run>
std::vector<double> time_runs_ms(Run&& run, int reps) {
    std::vector<double> ms;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        run();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms;
}

// Milliseconds per execution of `p`, for each of `reps` batches of `batch` executions and one stream wait, ascending;
// after one untimed execution.
inline std::vector<double> time_primitive_ms(dnnl::primitive& p, dnnl::stream& strm,
                                             std::unordered_map<int, dnnl::memory>& args, int reps, int batch = 1) {
    p.execute(strm, args);
    strm.wait();
    std::vector<double> ms = time_runs_ms(
        [&] {
            for (int k = 0; k < batch; ++k) p.execute(strm, args);
            strm.wait();
        },
        reps);
    for (double& m : ms) m /= batch;
    return ms;
}
