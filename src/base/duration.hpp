// base::parse_duration_ms: "250ms", "10s", "1.5s", "2m", "1h" or a plain number of seconds, as the
// CLI's --time-limit and config files write durations.
#pragma once

#include <cstdint>
#include <string_view>

#include "edgeinfer/status.hpp"

namespace edgeinfer::base {

// Milliseconds (rounded up, so a nonzero duration is never 0 ms), or kInvalidArgument naming the text
// and the accepted forms. Negative, empty, non-finite or over 2^53 ms is an error.
Result<int64_t> parse_duration_ms(std::string_view text);

}  // namespace edgeinfer::base
