// cli::StopSignals: SIGINT and SIGTERM for the length of a command, the program's one signal handler.
// The library never installs handlers; commands hand stop_flag() (or a watcher calling stop()) to it.
#pragma once

#include <atomic>

namespace edgeinfer::cli {

// Installs SIGINT/SIGTERM handlers that record the signal, and restores the previous handlers on
// destruction. One instance at a time.
class StopSignals {
  public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // True once a signal arrived.
    static const std::atomic<bool>& stop_flag();
    // The signal that arrived (SIGINT, SIGTERM), 0 when none.
    static int signal_number();
};

}  // namespace edgeinfer::cli
