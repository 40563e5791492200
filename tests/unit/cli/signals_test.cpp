// cli::StopSignals: a SIGINT or SIGTERM within its scope is recorded and calls the stop function once
// (instead of ending the process); the handlers in place before come back at the end of the scope.
#include "cli/signals.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace edgeinfer::cli {
namespace {

std::atomic<int> g_outer{0};
void outer_handler(int sig) { g_outer = sig; }

bool wait_for(const std::atomic<int>& value, int want) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (value.load() != want && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return value.load() == want;
}

TEST(StopSignals, RecordsTheFirstSignalCallsStopOnceAndRestoresTheOldHandlers) {
    struct sigaction outer = {}, saved_int = {}, saved_term = {};
    outer.sa_handler = outer_handler;
    sigemptyset(&outer.sa_mask);
    sigaction(SIGINT, &outer, &saved_int);
    sigaction(SIGTERM, &outer, &saved_term);
    {
        std::atomic<int> stops{0};
        StopSignals signals([&stops] { stops++; });
        EXPECT_EQ(signals.received(), 0);
        std::raise(SIGTERM);
        std::raise(SIGINT);
        EXPECT_TRUE(wait_for(stops, 1));
        signals.finish();
        EXPECT_EQ(stops.load(), 1);
        EXPECT_EQ(signals.received(), SIGTERM);  // the first one
        EXPECT_STREQ(signal_name(signals.received()), "SIGTERM");
        EXPECT_EQ(g_outer.load(), 0);  // the outer handler did not see them
    }
    std::raise(SIGINT);  // the outer handler is back
    EXPECT_EQ(g_outer.load(), SIGINT);
    {
        StopSignals polled;               // no stop function: the caller polls
        EXPECT_EQ(polled.received(), 0);  // a new scope starts clean
        std::raise(SIGINT);
        EXPECT_EQ(polled.received(), SIGINT);
        EXPECT_STREQ(signal_name(SIGINT), "SIGINT");
    }
    sigaction(SIGINT, &saved_int, nullptr);
    sigaction(SIGTERM, &saved_term, nullptr);
}

}  // namespace
}  // namespace edgeinfer::cli
