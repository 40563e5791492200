// Logging to stderr through spdlog, behind base/logging.hpp.
#include "base/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>

namespace edgeinfer::base {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kWarning};

spdlog::logger& logger() {
    static std::shared_ptr<spdlog::logger> instance = [] {
        auto l = spdlog::stderr_color_mt("edgeinfer");
        l->set_pattern("[edgeinfer %^%l%$] %v");
        l->set_level(spdlog::level::trace);
        return l;
    }();
    return *instance;
}

}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

void log(LogLevel level, std::string_view message) {
    if (level < g_level.load() || level == LogLevel::kOff) return;
    switch (level) {
        case LogLevel::kDebug: logger().debug("{}", message); break;
        case LogLevel::kInfo: logger().info("{}", message); break;
        case LogLevel::kWarning: logger().warn("{}", message); break;
        case LogLevel::kError: logger().error("{}", message); break;
        case LogLevel::kOff: break;
    }
}

}  // namespace edgeinfer::base
