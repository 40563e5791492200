// `edgeinfer camera-server` and `edgeinfer frames` run as users run them: the listening line,
// frames over tcp and ipc, SIGTERM/SIGINT shutdown removing the socket file, a port in use, a
// missing camera served as an error, --list-modes, and the Python client from the docs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "../io/io_test_util.hpp"
#include "child_process.hpp"
#include "io/sources.hpp"

namespace edgeinfer {
namespace {

using testing::TempDir;

using cli_test::Child;

// The endpoint of a "listening on ..." line; a failure when the line is something else.
std::string endpoint_of(const std::string& line) {
    std::string endpoint = cli_test::endpoint_of(line);
    EXPECT_FALSE(endpoint.empty()) << line;
    return endpoint;
}

std::vector<zmq::message_t> request(const std::string& endpoint, const std::string& body) {
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::req);
    s.set(zmq::sockopt::linger, 0);
    s.connect(endpoint);
    s.send(zmq::buffer(body));
    std::vector<zmq::message_t> parts;
    zmq::pollitem_t item{static_cast<void*>(s), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(3000));
    if (item.revents & ZMQ_POLLIN) (void)zmq::recv_multipart(s, std::back_inserter(parts));
    return parts;
}

TEST(CameraServerCli, ServesTcpAndStopsOnSigterm) {
    Child server({"camera-server", "--source", "pattern:64x48", "-p", "0", "-r", "100"});
    std::string endpoint = endpoint_of(server.read_line());
    ASSERT_TRUE(std::regex_match(endpoint, std::regex(R"(tcp://127\.0\.0\.1:\d+)"))) << endpoint << server.err();
    auto parts = request(endpoint, R"({"encoding":"bgr"})");
    ASSERT_EQ(parts.size(), 2u) << server.err();
    auto h = nlohmann::json::parse(parts[0].to_string());
    ASSERT_EQ(h["status"], "ok") << h.dump();
    cv::Mat image(48, 64, CV_8UC3, parts[1].data());
    EXPECT_EQ(testing::pattern_error(image, h["seq"].get<uint64_t>()), 0.0);

    // `frames` reads the same server as a DATASPEC and saves what it got.
    TempDir out;
    Child frames({"frames", endpoint, "-l", "3", "--save", out.path().string()});
    EXPECT_EQ(frames.wait(), 0) << frames.err();
    std::string text = frames.rest_of_output();
    EXPECT_NE(text.find("frame 2: seq="), std::string::npos) << text;
    EXPECT_NE(text.find("3 frames in"), std::string::npos) << text;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(frame 0: seq=(\d+) 64x48)"))) << text;
    cv::Mat saved = cv::imread(out / "frame_000000.png");
    ASSERT_FALSE(saved.empty());
    EXPECT_EQ(testing::pattern_error(saved, std::stoull(m[1])), 0.0);

    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(), 0) << server.err();
    EXPECT_NE(server.err().find("stopped by SIGTERM"), std::string::npos) << server.err();
}

TEST(CameraServerCli, ModeIndexPicksAListedMode) {
    // -m 1 of pattern:64x48's list (its own size, then 320x240, ...): frames of 320x240.
    Child server({"camera-server", "--source", "pattern:64x48", "-p", "0", "-m", "1"});
    std::string endpoint = endpoint_of(server.read_line());
    auto parts = request(endpoint, R"({"encoding":"bgr"})");
    ASSERT_EQ(parts.size(), 2u) << server.err();
    auto h = nlohmann::json::parse(parts[0].to_string());
    EXPECT_EQ(h["width"], 320) << h.dump();
    EXPECT_EQ(h["height"], 240) << h.dump();
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(), 0) << server.err();
    EXPECT_NE(server.err().find("mode 320x240@30"), std::string::npos) << server.err();
}

TEST(CameraServerCli, IpcFlipsCropAndSigintRemovesTheSocket) {
    TempDir dir;
    const std::string path = dir / "cam.ipc";
    Child server(
        {"camera-server", "--source", "pattern:64x48", "-i", "--ipc-path", path, "--hflip", "-c", "-r", "100"});
    std::string endpoint = endpoint_of(server.read_line());
    EXPECT_EQ(endpoint, "ipc://" + path) << server.err();
    EXPECT_TRUE(std::filesystem::exists(path));
    auto parts = request(endpoint, "{}");
    ASSERT_EQ(parts.size(), 2u) << server.err();
    auto h = nlohmann::json::parse(parts[0].to_string());
    ASSERT_EQ(h["width"], 48);
    cv::Mat image(48, 48, CV_8UC3, parts[1].data());
    EXPECT_EQ(testing::pattern_error(
                  image, h["seq"].get<uint64_t>(), [](int x) { return 63 - (x + 8); }, [](int y) { return y; }),
              0.0);
    server.signal(SIGINT);
    EXPECT_EQ(server.wait(), 0) << server.err();
    EXPECT_FALSE(std::filesystem::exists(path)) << "socket file removed at shutdown";
}

TEST(CameraServerCli, PortInUseFails) {
    zmq::context_t ctx;
    zmq::socket_t taken(ctx, zmq::socket_type::rep);
    taken.set(zmq::sockopt::linger, 0);
    taken.bind("tcp://127.0.0.1:*");
    std::string ep = taken.get(zmq::sockopt::last_endpoint);
    std::string port = ep.substr(ep.rfind(':') + 1);
    Child server({"camera-server", "--source", "pattern:8x8", "-p", port});
    EXPECT_EQ(server.wait(), 1);
    EXPECT_NE(server.err().find("tcp://127.0.0.1:" + port), std::string::npos) << server.err();
    EXPECT_NE(server.err().find("already in use"), std::string::npos) << server.err();
}

TEST(CameraServerCli, MissingCameraIsServedAsAnError) {
    Child server({"camera-server", "--source", "v4l2:99", "-p", "0"});
    std::string endpoint = endpoint_of(server.read_line());
    ASSERT_FALSE(endpoint.empty()) << server.err();
    auto parts = request(endpoint, "{}");
    ASSERT_EQ(parts.size(), 2u);
    auto h = nlohmann::json::parse(parts[0].to_string());
    EXPECT_EQ(h["status"], "error");
    EXPECT_EQ(h["error"], "source_lost");
    EXPECT_NE(h["message"].get<std::string>().find("/dev/video99"), std::string::npos) << h.dump();
    EXPECT_EQ(parts[1].size(), 0u);
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(), 0);
}

TEST(CameraServerCli, BadArgumentsFailFast) {
    Child missing({"camera-server", "--source", "/no/such/video.mp4", "-p", "0"});
    EXPECT_EQ(missing.wait(), 1);
    EXPECT_NE(missing.err().find("no such file"), std::string::npos) << missing.err();
    Child mode({"camera-server", "--source", "pattern:8x8", "-p", "0", "-m", "big"});
    EXPECT_EQ(mode.wait(), 1);
    EXPECT_NE(mode.err().find("capture mode 'big'"), std::string::npos) << mode.err();
    Child modes({"camera-server", "--source", "pattern:8x8", "--list-modes"});
    EXPECT_EQ(modes.wait(), 0);
    const std::string listed = modes.rest_of_output();
    EXPECT_NE(listed.find("  2: 640x480 @ 30"), std::string::npos) << listed;
    Child past({"camera-server", "--source", "pattern:8x8", "-p", "0", "-m", "9"});
    EXPECT_EQ(past.wait(), 1);
    EXPECT_NE(past.err().find("modes 0..4"), std::string::npos) << past.err();
    Child absent({"camera-server", "--source", "v4l2:99", "--list-modes"});
    EXPECT_EQ(absent.wait(), 1);
    EXPECT_NE(absent.err().find("/dev/video99"), std::string::npos) << absent.err();
}

TEST(CameraServerCli, PublishJpeg) {
    Child server(
        {"camera-server", "--source", "pattern:64x48", "-p", "0", "-r", "50", "--publish", "--encoding", "jpeg"});
    std::string endpoint = endpoint_of(server.read_line());
    ASSERT_FALSE(endpoint.empty()) << server.err();
    zmq::context_t ctx;
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::subscribe, "");
    sub.connect(endpoint);
    std::vector<zmq::message_t> parts;
    zmq::pollitem_t item{static_cast<void*>(sub), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(3000));
    ASSERT_TRUE(item.revents & ZMQ_POLLIN);
    ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(parts)));
    auto h = nlohmann::json::parse(parts[0].to_string());
    EXPECT_EQ(h["encoding"], "jpeg");
    cv::Mat image = cv::imdecode(cv::Mat(1, int(parts[1].size()), CV_8UC1, parts[1].data()), cv::IMREAD_COLOR);
    EXPECT_LT(testing::pattern_error(image, h["seq"].get<uint64_t>()), 10.0);
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(), 0);
}

TEST(CameraServerCli, CurveKeysOnServerAndClient) {
    TempDir dir;
    const std::string keys = dir / "keys";
    Child generate({"camera-server", "--generate-keys", keys});
    EXPECT_EQ(generate.wait(), 0) << generate.err();
    EXPECT_NE(generate.rest_of_output().find("authorized_clients"), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(keys) / "server.key"));

    Child server(
        {"camera-server", "--source", "pattern:32x24", "-p", "0", "--bind", "127.0.0.1", "--curve-keys", keys});
    std::string endpoint = endpoint_of(server.read_line());
    ASSERT_TRUE(std::regex_match(endpoint, std::regex(R"(tcp://127\.0\.0\.1:\d+)"))) << endpoint << server.err();
    Child with_keys({"frames", endpoint, "-l", "2", "--curve-keys", keys});
    EXPECT_EQ(with_keys.wait(10000), 0) << with_keys.err();
    EXPECT_NE(with_keys.rest_of_output().find("2 frames in"), std::string::npos);
    Child without({"frames", endpoint + "?timeout_ms=300&retries=0", "-l", "1"});
    EXPECT_EQ(without.wait(10000), 1);
    EXPECT_NE(without.err().find("requires CURVE keys"), std::string::npos) << without.err();
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(), 0) << server.err();
    EXPECT_NE(server.err().find("CURVE keys " + keys), std::string::npos) << server.err();
}

TEST(FramesCli, SourcesAndErrors) {
    Child pattern({"frames", "pattern:32x24", "-l", "4", "--json"});
    EXPECT_EQ(pattern.wait(), 0) << pattern.err();
    std::istringstream lines(pattern.rest_of_output());
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line);
        EXPECT_EQ(j["index"], n);
        EXPECT_EQ(j["width"], 32);
        EXPECT_EQ(j["source"], "pattern:32x24");
        ++n;
    }
    EXPECT_EQ(n, 4);

    TempDir dir;
    ASSERT_TRUE(testing::write_test_video(dir / "clip.avi", 5));
    Child video({"frames", dir / "clip.avi"});
    EXPECT_EQ(video.wait(), 0) << video.err();
    EXPECT_NE(video.rest_of_output().find("5 frames in"), std::string::npos);

    Child missing({"frames", "/no/such/dir"});
    EXPECT_EQ(missing.wait(), 1);
    EXPECT_NE(missing.err().find("NotFound"), std::string::npos) << missing.err();
    Child nobody({"frames", "tcp://127.0.0.1:9?timeout_ms=100&retries=0"});
    EXPECT_EQ(nobody.wait(), 1);
    EXPECT_NE(nobody.err().find("SourceLost"), std::string::npos) << nobody.err();
}

// The pyzmq client printed in docs/camera-protocol.md, run as written against a live server.
TEST(CameraProtocolDocs, PythonClientWorks) {
    if (std::system("/usr/bin/python3 -c 'import zmq, numpy' 2>/dev/null") != 0)
        GTEST_SKIP() << "python3-zmq is not installed (scripts/install-deps installs it)";
    std::ifstream doc(std::string(EDGEINFER_SOURCE_DIR) + "/docs/camera-protocol.md");
    ASSERT_TRUE(doc) << "docs/camera-protocol.md";
    std::stringstream all;
    all << doc.rdbuf();
    std::smatch m;
    std::string text = all.str();
    ASSERT_TRUE(std::regex_search(text, m, std::regex("```python\n([\\s\\S]*?)```"))) << "no python block";
    TempDir dir;
    std::ofstream(dir / "client.py") << m[1].str();

    Child server({"camera-server", "--source", "pattern:64x48", "-p", "0", "-r", "100"});
    std::string endpoint = endpoint_of(server.read_line());
    ASSERT_FALSE(endpoint.empty()) << server.err();
    Child client({dir / "client.py", endpoint}, "/usr/bin/python3");
    EXPECT_EQ(client.wait(10000), 0) << client.err();
    std::string out = client.rest_of_output();
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(frame \d+: 64x48)"))) << out << client.err();
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(), 0);
}

}  // namespace
}  // namespace edgeinfer
