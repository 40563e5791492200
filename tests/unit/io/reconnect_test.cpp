// The reconnect policy (io/reconnect.hpp): its numbers, and README.md and docs/camera-protocol.md
// saying word for word what the code does.
#include "io/reconnect.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace edgeinfer {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Markdown wraps lines: compare with runs of whitespace as one space.
std::string squeeze(const std::string& text) {
    std::string out;
    for (char c : text) {
        const bool space = c == ' ' || c == '\n' || c == '\t';
        if (space && (out.empty() || out.back() == ' ')) continue;
        out += space ? ' ' : c;
    }
    return out;
}

TEST(ReconnectPolicy, WorstCaseFromTheDefaults) {
    const io::CameraClientOptions defaults;
    EXPECT_DOUBLE_EQ(io::silent_server_seconds(defaults), 4.5);  // 3 attempts of 1.5 s
    // 4.5 + (0.5 + 4.5) + (1 + 4.5) + (2 + 4.5): what a run measured before the policy was written down.
    EXPECT_DOUBLE_EQ(io::give_up_seconds(io::silent_server_seconds(defaults)), 21.5);
    EXPECT_DOUBLE_EQ(io::give_up_seconds(defaults.lost_after_ms / 1000.0), 43.5);
    io::CameraClientOptions fast;
    fast.timeout_ms = 300;
    fast.retries = 0;
    EXPECT_DOUBLE_EQ(io::give_up_seconds(io::silent_server_seconds(fast)), 4.7);
}

TEST(ReconnectPolicy, DocsSayWhatTheCodeDoes) {
    const std::string policy = io::reconnect_policy_text();
    EXPECT_NE(policy.find("after 0.5, 1 and 2 s"), std::string::npos) << policy;
    EXPECT_NE(policy.find("21.5 s (server silent)"), std::string::npos) << policy;
    for (const char* doc : {"/README.md", "/docs/camera-protocol.md"}) {
        const std::string text = squeeze(read_text(std::string(EDGEINFER_SOURCE_DIR) + doc));
        ASSERT_FALSE(text.empty()) << doc;
        EXPECT_NE(text.find(policy), std::string::npos) << doc << " should say, word for word:\n" << policy;
    }
}

}  // namespace
}  // namespace edgeinfer
