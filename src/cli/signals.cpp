// StopSignals: the SIGINT/SIGTERM handler of the CLI (cli/signals.hpp).
#include "cli/signals.hpp"

#include <signal.h>

namespace edgeinfer::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
struct sigaction g_old_int {
}, g_old_term{};

void on_signal(int sig) {
    g_signal = sig;
    g_stop = true;
}

}  // namespace

StopSignals::StopSignals() {
    g_stop = false;
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &g_old_int);
    sigaction(SIGTERM, &sa, &g_old_term);
}

StopSignals::~StopSignals() {
    sigaction(SIGINT, &g_old_int, nullptr);
    sigaction(SIGTERM, &g_old_term, nullptr);
}

const std::atomic<bool>& StopSignals::stop_flag() { return g_stop; }
int StopSignals::signal_number() { return g_signal.load(); }

}  // namespace edgeinfer::cli
