// kernels::ScopedDeadline / check_deadline: the time limit of one Session run or build
// (SessionOptions::run_time_limit_ms), for work whose length depends on data: a Loop's iterations,
// and the runtime's walk over the nodes. The limit belongs to the calling thread (a session runs on
// the caller's thread), so concurrent sessions keep their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "edgeinfer/status.hpp"

namespace edgeinfer::kernels {

class ScopedDeadline {
  public:
    // Starts a limit of `limit_ms` from now on this thread (0 or less: none). A scope opened inside
    // another keeps whichever deadline comes first; the outer one is restored on destruction.
    explicit ScopedDeadline(int64_t limit_ms);
    ~ScopedDeadline();
    ScopedDeadline(const ScopedDeadline&) = delete;
    ScopedDeadline& operator=(const ScopedDeadline&) = delete;

  private:
    bool had_ = false;
    std::chrono::steady_clock::time_point previous_{};
    int64_t previous_ms_ = 0;
};

// Whether this thread has a deadline and it has passed (cheap: no message is built).
bool deadline_passed();

// OK while this thread's deadline has not passed (or there is none); otherwise kResourceExhausted
// "<what>: run time limit of N ms exceeded (SessionOptions::run_time_limit_ms, --time-limit)".
Status check_deadline(const std::string& what);

}  // namespace edgeinfer::kernels
