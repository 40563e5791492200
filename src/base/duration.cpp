#include "base/duration.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

namespace edgeinfer::base {

Result<int64_t> parse_duration_ms(std::string_view text) {
    const std::string s(text);
    auto bad = [&s](const std::string& why) {
        return invalid_argument("duration '" + s + "': " + why + " (write e.g. 250ms, 10s, 1.5s, 2m, 1h)");
    };
    if (s.empty()) return bad("empty");
    char* end = nullptr;
    const double value = std::strtod(s.c_str(), &end);
    if (end == s.c_str()) return bad("no number");
    const std::string unit(end);
    double scale = 0;
    if (unit.empty() || unit == "s")
        scale = 1000;
    else if (unit == "ms")
        scale = 1;
    else if (unit == "m" || unit == "min")
        scale = 60'000;
    else if (unit == "h")
        scale = 3'600'000;
    else
        return bad("unknown unit '" + unit + "'");
    const double ms = std::ceil(value * scale);
    if (!std::isfinite(ms) || value < 0) return bad("not a finite duration of 0 or more");
    if (ms > 9007199254740992.0) return bad("too long");
    return static_cast<int64_t>(ms);
}

}  // namespace edgeinfer::base
