// StopSignals: an async-signal-safe handler that only stores the signal number; a watcher thread
// polls it and calls the stop function outside the handler.
#include "cli/signals.hpp"

#include <chrono>

namespace edgeinfer::cli {
namespace {

std::atomic<int> g_signal{0};

void on_signal(int sig) {
    int none = 0;
    g_signal.compare_exchange_strong(none, sig);  // keep the first
}

}  // namespace

StopSignals::StopSignals(std::function<void()> on_stop) : on_stop_(std::move(on_stop)) {
    g_signal = 0;
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    if (!on_stop_) return;
    watcher_ = std::thread([this] {
        while (!done_) {
            if (g_signal != 0) {
                on_stop_();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

StopSignals::~StopSignals() {
    finish();
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
}

int StopSignals::received() const { return g_signal.load(); }

void StopSignals::finish() {
    done_ = true;
    if (watcher_.joinable()) watcher_.join();
}

const char* signal_name(int sig) {
    switch (sig) {
        case SIGINT:
            return "SIGINT";
        case SIGTERM:
            return "SIGTERM";
        default:
            return "signal";
    }
}

}  // namespace edgeinfer::cli
