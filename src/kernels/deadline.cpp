// The thread's run deadline (see deadline.hpp).
#include "kernels/deadline.hpp"

namespace edgeinfer::kernels {
namespace {

struct Deadline {
    bool active = false;
    std::chrono::steady_clock::time_point at{};
    int64_t limit_ms = 0;
};

thread_local Deadline current;

}  // namespace

ScopedDeadline::ScopedDeadline(int64_t limit_ms)
    : had_(current.active), previous_(current.at), previous_ms_(current.limit_ms) {
    if (limit_ms <= 0) return;
    const auto at = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
    if (!current.active || at < current.at) current = {true, at, limit_ms};
}

ScopedDeadline::~ScopedDeadline() { current = {had_, previous_, previous_ms_}; }

bool deadline_passed() { return current.active && std::chrono::steady_clock::now() >= current.at; }

Status check_deadline(const std::string& what) {
    if (!deadline_passed()) return Status::ok();
    return resource_exhausted(what + ": run time limit of " + std::to_string(current.limit_ms) +
                              " ms exceeded (SessionOptions::run_time_limit_ms, --time-limit)");
}

}  // namespace edgeinfer::kernels
