// cli::StopSignals: SIGINT/SIGTERM for the commands that run until they are stopped (pipeline, the vision
// commands). Within its scope a signal is recorded instead of ending the process, and a stop function
// (e.g. Pipeline::stop) is called once from a watcher thread; the previous handlers come back at its end.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace edgeinfer::cli {

class StopSignals {
  public:
    // Installs the handlers (one StopSignals at a time). `on_stop` may be empty: then poll received().
    explicit StopSignals(std::function<void()> on_stop = {});
    // Ends the watcher and restores the previous handlers.
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // 0 while no signal has arrived, else the first one (SIGINT or SIGTERM).
    int received() const;
    // Ends the watcher now: on_stop is not called after this returns. The handlers stay installed
    // (a signal still only gets recorded) until the destructor.
    void finish();

  private:
    std::function<void()> on_stop_;
    std::atomic<bool> done_{false};
    std::thread watcher_;
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

// "SIGINT", "SIGTERM", else "signal".
const char* signal_name(int sig);

}  // namespace edgeinfer::cli
