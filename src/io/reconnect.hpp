// The reconnect policy for a source lost mid-run, in one place: the constants the camera client, the
// camera server and the vision commands' source wrapper use, and the sentence README.md and
// docs/camera-protocol.md carry word for word (tests/unit/io/reconnect_test.cpp checks both).
#pragma once

#include <chrono>
#include <cstdio>
#include <iterator>
#include <string>

#include "io/camera_client.hpp"

namespace edgeinfer::io {

// After a source that had delivered frames reports kSourceLost, the vision commands open it again
// after these delays (seconds), then give up with kSourceLost (exit 3).
inline constexpr double kLostSourceRetryDelays[] = {0.5, 1.0, 2.0};
inline constexpr size_t kLostSourceRetries = std::size(kLostSourceRetryDelays);

// The backoff between retries of a server-reported error (the client, for lost_after_ms) and between
// the camera server's attempts to reopen its camera: the first wait, doubling up to the last.
inline constexpr std::chrono::milliseconds kErrorBackoffFirst{50};
inline constexpr std::chrono::milliseconds kErrorBackoffMax{1000};

inline std::string seconds_text(double s) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g", s);
    return text;
}

// How long a camera-server client takes to decide that nobody answers: every attempt times out.
inline double silent_server_seconds(const CameraClientOptions& o) { return o.timeout_ms * (1.0 + o.retries) / 1000.0; }

// The longest a vision command waits from the last frame to giving up, when each try fails after
// `notice_seconds`: the first failure, then each delay plus another failed try.
inline double give_up_seconds(double notice_seconds) {
    double total = notice_seconds;
    for (double delay : kLostSourceRetryDelays) total += delay + notice_seconds;
    return total;
}

// The policy in words, with the numbers of `o` (the defaults unless a URL's query changes them).
inline std::string reconnect_policy_text(const CameraClientOptions& o = {}) {
    std::string delays;
    for (size_t i = 0; i < kLostSourceRetries; ++i)
        delays += (i == 0                        ? ""
                   : i + 1 == kLostSourceRetries ? " and "
                                                 : ", ") +
                  seconds_text(kLostSourceRetryDelays[i]);
    const double silent = silent_server_seconds(o), failing = o.lost_after_ms / 1000.0;
    return "A camera server that stops answering is noticed after " + std::to_string(1 + o.retries) + " attempts of " +
           seconds_text(o.timeout_ms / 1000.0) + " s (" + seconds_text(silent) +
           " s); one that reports its camera failing is asked again for " + seconds_text(failing) + " s (every " +
           seconds_text(kErrorBackoffFirst.count() / 1000.0) + " s, doubling up to " +
           seconds_text(kErrorBackoffMax.count() / 1000.0) + " s). The run then opens the source again after " +
           delays + " s, each try noticing anew, and gives up (exit 3) at most " +
           seconds_text(give_up_seconds(silent)) + " s (server silent) or " + seconds_text(give_up_seconds(failing)) +
           " s (camera failing) after the last frame.";
}

}  // namespace edgeinfer::io
