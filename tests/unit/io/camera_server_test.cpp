// The camera server on loopback, against the C++ client and against raw ZeroMQ sockets that
// speak only the documented protocol: pixels, flips, centre crop, JPEG, publish mode, bad
// requests, oversized messages, vanishing clients, a failing camera, port in use, restarts.
#include "io/camera_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "io/camera_client.hpp"
#include "io/sources.hpp"
#include "io_test_util.hpp"

namespace edgeinfer {
namespace {

using Clock = std::chrono::steady_clock;
using testing::TempDir;

io::CameraServerOptions loopback(double fps = 200) {
    io::CameraServerOptions o;
    o.endpoint = "tcp://127.0.0.1:0";
    o.fps = fps;
    return o;
}

io::CameraServer::SourceFactory pattern(int w, int h) {
    return [w, h] { return io::open_pattern_source(w, h); };
}

std::unique_ptr<io::CameraServer> start(const io::CameraServerOptions& o, io::CameraServer::SourceFactory f) {
    auto server = io::CameraServer::start(o, std::move(f));
    EXPECT_TRUE(server.is_ok()) << server.status().to_string();
    return server.is_ok() ? std::move(server.value()) : nullptr;
}

std::unique_ptr<io::CameraClient> client(const std::string& endpoint, io::CameraClientOptions o = {}) {
    o.timeout_ms = 2000;
    o.retries = 1;
    return std::move(io::CameraClient::connect(endpoint, o).value());
}

// One request on a fresh REQ socket, as any ZeroMQ binding would send it; the reply's parts, or
// none after timeout_ms.
std::vector<zmq::message_t> raw_request(zmq::context_t& ctx, const std::string& endpoint,
                                        const std::vector<std::string>& body, int timeout_ms = 2000) {
    zmq::socket_t s(ctx, zmq::socket_type::req);
    s.set(zmq::sockopt::linger, 0);
    s.connect(endpoint);
    for (size_t i = 0; i < body.size(); ++i)
        s.send(zmq::buffer(body[i]), i + 1 < body.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    std::vector<zmq::message_t> parts;
    zmq::pollitem_t item{static_cast<void*>(s), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
    if (item.revents & ZMQ_POLLIN) (void)zmq::recv_multipart(s, std::back_inserter(parts));
    return parts;
}

nlohmann::json header_of(const std::vector<zmq::message_t>& parts) {
    EXPECT_EQ(parts.size(), 2u);
    if (parts.size() != 2) return {};
    return nlohmann::json::parse(parts[0].to_string());
}

// A frame from the server with seq >= `min_seq` (bounded wait).
io::RemoteFrame fetch_ok(io::CameraClient& c) {
    for (int i = 0; i < 50; ++i) {
        auto r = c.fetch();
        EXPECT_TRUE(r.is_ok()) << r.status().to_string();
        if (!r.is_ok()) return {};
        if (r->header.ok) return std::move(r.value());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no frame";
    return {};
}

TEST(CameraServer, PatternPixelsThroughTheClient) {
    auto server = start(loopback(), pattern(64, 48));
    ASSERT_TRUE(server);
    EXPECT_EQ(server->endpoint().rfind("tcp://127.0.0.1:", 0), 0u) << server->endpoint();
    auto c = client(server->endpoint());
    uint64_t last = 0;
    for (int i = 0; i < 5; ++i) {
        io::RemoteFrame f = fetch_ok(*c);
        ASSERT_TRUE(f.header.ok);
        EXPECT_EQ(f.header.width, 64);
        EXPECT_EQ(f.header.source, "pattern:64x48 (synthetic test pattern)");
        if (i > 0) {
            EXPECT_GT(f.header.seq, last);  // `fresh`: never the same frame twice
        }
        last = f.header.seq;
        EXPECT_EQ(testing::pattern_error(f.image, f.header.seq), 0.0) << "seq " << f.header.seq;
    }
}

TEST(CameraServer, RawSocketSpeakingOnlyTheDocumentedProtocol) {
    auto server = start(loopback(), pattern(40, 30));
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    auto parts = raw_request(ctx, server->endpoint(), {R"({"encoding":"bgr"})"});
    nlohmann::json h = header_of(parts);
    ASSERT_EQ(h["status"], "ok") << h.dump();
    EXPECT_EQ(h["version"], 1);
    EXPECT_EQ(h["width"], 40);
    EXPECT_EQ(h["height"], 30);
    EXPECT_EQ(h["channels"], 3);
    EXPECT_EQ(h["encoding"], "bgr");
    EXPECT_EQ(h["size"], 40 * 30 * 3);
    int64_t age_us = io::now_us() - h["timestamp_us"].get<int64_t>();
    EXPECT_GE(age_us, 0);
    EXPECT_LT(age_us, 2000000);
    ASSERT_EQ(parts[1].size(), 3600u);
    cv::Mat image(30, 40, CV_8UC3, parts[1].data());
    EXPECT_EQ(testing::pattern_error(image, h["seq"].get<uint64_t>()), 0.0);

    // An empty request means raw BGR; "after" waits for a newer frame.
    auto next = raw_request(ctx, server->endpoint(), {""});
    EXPECT_EQ(header_of(next)["encoding"], "bgr");
    uint64_t seq = header_of(next)["seq"];
    auto newer = raw_request(ctx, server->endpoint(), {R"({"after":)" + std::to_string(seq) + "}"});
    EXPECT_GT(header_of(newer)["seq"].get<uint64_t>(), seq);

    // JPEG with quality, decoded by plain OpenCV.
    auto jpeg = raw_request(ctx, server->endpoint(), {R"({"encoding":"jpeg","quality":95})"});
    nlohmann::json jh = header_of(jpeg);
    ASSERT_EQ(jh["encoding"], "jpeg") << jh.dump();
    EXPECT_EQ(jh["quality"], 95);
    EXPECT_EQ(jh["size"], jpeg[1].size());
    cv::Mat decoded = cv::imdecode(cv::Mat(1, int(jpeg[1].size()), CV_8UC1, jpeg[1].data()), cv::IMREAD_COLOR);
    ASSERT_EQ(decoded.cols, 40);
    EXPECT_LT(testing::pattern_error(decoded, jh["seq"].get<uint64_t>()), 8.0);
}

TEST(CameraServer, FlipsAndCentreCrop) {
    struct Case {
        bool hflip, vflip, centre;
        int out_w, out_h;
        std::function<int(int)> map_x, map_y;
    };
    const int W = 64, H = 48;
    const std::vector<Case> cases = {
        {true, false, false, W, H, [](int x) { return W - 1 - x; }, [](int y) { return y; }},
        {false, true, false, W, H, [](int x) { return x; }, [](int y) { return H - 1 - y; }},
        {true, true, false, W, H, [](int x) { return W - 1 - x; }, [](int y) { return H - 1 - y; }},
        {false, false, true, H, H, [](int x) { return x + (W - H) / 2; }, [](int y) { return y; }},
        {true, false, true, H, H, [](int x) { return W - 1 - (x + (W - H) / 2); }, [](int y) { return y; }},
    };
    for (const Case& c : cases) {
        io::CameraServerOptions o = loopback();
        o.hflip = c.hflip;
        o.vflip = c.vflip;
        o.centre = c.centre;
        auto server = start(o, pattern(W, H));
        ASSERT_TRUE(server);
        io::RemoteFrame f = fetch_ok(*client(server->endpoint()));
        ASSERT_EQ(f.image.cols, c.out_w);
        ASSERT_EQ(f.image.rows, c.out_h);
        EXPECT_EQ(testing::pattern_error(f.image, f.header.seq, c.map_x, c.map_y), 0.0)
            << "hflip " << c.hflip << " vflip " << c.vflip << " centre " << c.centre;
    }
}

TEST(CameraServer, JpegThroughTheClientAndFrameSource) {
    auto server = start(loopback(), pattern(64, 48));
    ASSERT_TRUE(server);
    io::CameraClientOptions o;
    o.encoding = io::Encoding::kJpeg;
    o.quality = 90;
    io::RemoteFrame f = fetch_ok(*client(server->endpoint(), o));
    EXPECT_EQ(f.header.encoding, io::Encoding::kJpeg);
    EXPECT_LT(f.wire_bytes, 64u * 48 * 3);
    EXPECT_LT(testing::pattern_error(f.image, f.header.seq), 8.0);

    auto source = io::open_source(server->endpoint() + "?encoding=jpeg&quality=80");
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    EXPECT_NE(source.value()->describe().find("jpeg"), std::string::npos);
    auto frame = source.value()->next();
    ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
    EXPECT_EQ(frame->source_id, server->endpoint());
    EXPECT_LT(testing::pattern_error(frame->image, frame->seq), 10.0);
}

TEST(CameraServer, SlowClientsSeeDropsAndNeverSlowTheCapture) {
    auto server = start(loopback(200), pattern(32, 24));
    ASSERT_TRUE(server);
    io::CameraClientOptions o;
    o.fresh = false;
    auto c = client(server->endpoint(), o);
    (void)fetch_ok(*c);
    uint64_t captured_before = server->stats().captured;
    std::vector<uint64_t> seqs;
    for (int i = 0; i < 5; ++i) {
        seqs.push_back(fetch_ok(*c).header.seq);
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
    uint64_t captured = server->stats().captured - captured_before;
    EXPECT_GT(captured, 30u);  // ~60 at 200 fps in 0.3 s; a slow client does not hold it back
    for (size_t i = 1; i < seqs.size(); ++i) EXPECT_GT(seqs[i] - seqs[i - 1], 1u) << "gaps show dropped frames";
}

TEST(CameraServer, PublishModeReachesEverySubscriber) {
    io::CameraServerOptions o = loopback(100);
    o.publish = true;
    auto server = start(o, pattern(32, 24));
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    zmq::socket_t raw(ctx, zmq::socket_type::sub);
    raw.set(zmq::sockopt::linger, 0);
    raw.set(zmq::sockopt::subscribe, "");
    raw.connect(server->endpoint());
    io::CameraClientOptions co;
    co.subscribe = true;
    auto sub = client(server->endpoint(), co);

    std::vector<uint64_t> seqs;
    for (int i = 0; i < 10; ++i) {
        io::RemoteFrame f = fetch_ok(*sub);
        EXPECT_EQ(testing::pattern_error(f.image, f.header.seq), 0.0);
        seqs.push_back(f.header.seq);
    }
    int consecutive = 0;
    for (size_t i = 1; i < seqs.size(); ++i) consecutive += seqs[i] == seqs[i - 1] + 1;
    // (under emulation, EDGEINFER_EMULATED, the subscriber cannot keep up: frames are dropped by design)
    if (!std::getenv("EDGEINFER_EMULATED")) {
        EXPECT_GE(consecutive, 7) << "a subscriber that keeps up gets every frame";
    }

    std::vector<zmq::message_t> parts;
    zmq::pollitem_t item{static_cast<void*>(raw), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(2000));
    ASSERT_TRUE(item.revents & ZMQ_POLLIN);
    ASSERT_TRUE(zmq::recv_multipart(raw, std::back_inserter(parts)));
    nlohmann::json h = header_of(parts);
    EXPECT_EQ(h["status"], "ok");
    EXPECT_EQ(h["size"], 32 * 24 * 3);
}

TEST(CameraServer, PublishJpeg) {
    io::CameraServerOptions o = loopback(100);
    o.publish = true;
    o.publish_encoding = io::Encoding::kJpeg;
    o.publish_quality = 85;
    auto server = start(o, pattern(64, 48));
    ASSERT_TRUE(server);
    auto source = io::open_source(server->endpoint() + "?mode=sub");
    ASSERT_TRUE(source.is_ok());
    auto f = source.value()->next();
    ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    EXPECT_LT(testing::pattern_error(f->image, f->seq), 10.0);
}

TEST(CameraServer, MalformedRequestsGetErrorRepliesAndServingGoesOn) {
    auto server = start(loopback(), pattern(16, 8));
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"garbage"}, "not JSON"},
        {{"[1]"}, "expected a JSON object"},
        {{R"({"quality":500})"}, "\"quality\""},
        {{R"({"encoding":"jpeg"})", "second frame"}, "expected one request frame, got 2"},
        {{std::string(10000, 'x')}, "exceeds the limit of 4096"},
    };
    for (const auto& [body, words] : cases) {
        nlohmann::json h = header_of(raw_request(ctx, server->endpoint(), body));
        EXPECT_EQ(h["status"], "error") << words;
        EXPECT_EQ(h["error"], "bad_request") << words;
        EXPECT_NE(h["message"].get<std::string>().find(words), std::string::npos) << h.dump();
    }
    nlohmann::json png = header_of(raw_request(ctx, server->endpoint(), {R"({"encoding":"png"})"}));
    EXPECT_EQ(png["error"], "unsupported_encoding");
    EXPECT_NE(png["message"].get<std::string>().find("png"), std::string::npos);
    EXPECT_EQ(header_of(raw_request(ctx, server->endpoint(), {"{}"}))["status"], "ok");
    EXPECT_GE(server->stats().errors_sent, 6u);
}

TEST(CameraServer, OversizedMessagesDropTheSenderOnly) {
    auto server = start(loopback(), pattern(16, 8));
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    auto none = raw_request(ctx, server->endpoint(), {std::string(1 << 20, 'x')}, 300);
    EXPECT_TRUE(none.empty()) << "a 1 MiB request is cut off by ZMQ_MAXMSGSIZE, unanswered";
    EXPECT_EQ(header_of(raw_request(ctx, server->endpoint(), {""}))["status"], "ok");
}

TEST(CameraServer, ClientsVanishingMidReplyOrSpeakingGarbage) {
    auto server = start(loopback(200), pattern(1920, 1080));
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    for (int i = 0; i < 20; ++i) {  // ask for a 6 MB frame and hang up at once
        zmq::socket_t s(ctx, zmq::socket_type::req);
        s.set(zmq::sockopt::linger, 0);
        s.connect(server->endpoint());
        s.send(zmq::str_buffer("{}"));
        if (i % 2) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // A peer that requests without ever reading its replies.
    zmq::socket_t hog(ctx, zmq::socket_type::dealer);
    hog.set(zmq::sockopt::linger, 0);
    hog.set(zmq::sockopt::rcvhwm, 1);
    hog.connect(server->endpoint());
    for (int i = 0; i < 50; ++i) {
        hog.send(zmq::message_t(), zmq::send_flags::sndmore);
        hog.send(zmq::str_buffer("{}"), zmq::send_flags::none);
    }
    // A plain TCP peer that sends bytes that are not ZMTP.
    auto colon = server->endpoint().rfind(':');
    int port = std::stoi(server->endpoint().substr(colon + 1));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    const char junk[] = "GET / HTTP/1.0\r\n\r\n\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f";
    EXPECT_GT(::write(fd, junk, sizeof(junk)), 0);
    ::close(fd);

    auto t0 = Clock::now();
    auto c = client(server->endpoint());
    for (int i = 0; i < 3; ++i) {
        io::RemoteFrame f = fetch_ok(*c);
        EXPECT_EQ(f.image.cols, 1920);
        EXPECT_EQ(testing::pattern_error(f.image(cv::Rect(0, 0, 64, 64)), f.header.seq), 0.0);
    }
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 2.0);
}

// A source whose failure the test switches on and off: next() reports a lost camera, and
// reopening fails, while `broken` is set.
struct Switchable {
    std::atomic<bool> broken{false};
    io::CameraServer::SourceFactory factory() {
        return [this]() -> Result<std::unique_ptr<io::FrameSource>> {
            if (broken) return Status(StatusCode::kSourceLost, "camera test:0 cannot be opened (unplugged)");
            struct Source : io::FrameSource {
                Switchable* owner;
                std::unique_ptr<io::FrameSource> inner = std::move(io::open_pattern_source(16, 8).value());
                explicit Source(Switchable* o) : owner(o) {}
                Result<io::Frame> next() override {
                    if (owner->broken)
                        return Status(StatusCode::kSourceLost, "camera test:0 stopped delivering frames");
                    return inner->next();
                }
                std::string describe() const override { return "test:0"; }
            };
            return std::unique_ptr<io::FrameSource>(std::make_unique<Source>(this));
        };
    }
};

TEST(CameraServer, FailingCameraIsReportedUntilItRecovers) {
    Switchable camera;
    auto server = start(loopback(200), camera.factory());
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    nlohmann::json ok = header_of(raw_request(ctx, server->endpoint(), {""}));
    ASSERT_EQ(ok["status"], "ok");
    uint64_t seq_before = ok["seq"];

    camera.broken = true;
    nlohmann::json h;
    for (int i = 0; i < 100; ++i) {
        h = header_of(raw_request(ctx, server->endpoint(), {""}));
        if (h["status"] == "error") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(h["status"], "error") << h.dump();
    EXPECT_EQ(h["error"], "source_lost");
    EXPECT_NE(h["message"].get<std::string>().find("camera test:0"), std::string::npos) << h.dump();
    for (int i = 0; i < 3; ++i)  // keeps answering, with the error, while the camera is gone
        EXPECT_EQ(header_of(raw_request(ctx, server->endpoint(), {"{}"}))["error"], "source_lost");
    auto lost = io::open_source(server->endpoint() + "?lost_after_ms=300");
    ASSERT_TRUE(lost.is_ok());
    auto t0 = Clock::now();
    auto r = lost.value()->next();
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kSourceLost);
    EXPECT_NE(r.status().message().find("source_lost"), std::string::npos) << r.status().message();
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 2.0);

    camera.broken = false;
    for (int i = 0; i < 200; ++i) {
        h = header_of(raw_request(ctx, server->endpoint(), {""}));
        if (h["status"] == "ok") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(h["status"], "ok") << h.dump();
    EXPECT_GT(h["seq"].get<uint64_t>(), seq_before);
    EXPECT_GT(server->stats().source_failures, 0u);
}

TEST(CameraServer, CameraThatNeverOpensIsReportedAtOnce) {
    auto server = start(loopback(), [] { return io::open_source("v4l2:99"); });
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    nlohmann::json h;
    for (int i = 0; i < 100; ++i) {  // the first open happens on the capture thread
        h = header_of(raw_request(ctx, server->endpoint(), {""}));
        if (h["status"] == "error") break;
    }
    EXPECT_EQ(h["error"], "source_lost") << h.dump();
    EXPECT_NE(h["message"].get<std::string>().find("/dev/video99"), std::string::npos) << h.dump();
}

TEST(CameraServer, AfterTheNewestFrameWaitsThenTimesOut) {
    auto server = start(loopback(2), pattern(16, 8));  // 2 fps: a new frame every 500 ms
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    uint64_t seq = header_of(raw_request(ctx, server->endpoint(), {""}))["seq"];
    nlohmann::json h =
        header_of(raw_request(ctx, server->endpoint(), {R"({"after":)" + std::to_string(seq) + R"(,"wait_ms":0})"}));
    if (h["status"] == "error") {  // unless the next frame came in between
        EXPECT_EQ(h["error"], "timeout");
    }
    EXPECT_EQ(header_of(raw_request(ctx, server->endpoint(), {R"({"after":999999})"}))["status"], "ok")
        << "an `after` the server never reached (a previous run's) is answered at once";
}

TEST(CameraServer, PortInUseIsNamed) {
    auto first = start(loopback(), pattern(8, 8));
    ASSERT_TRUE(first);
    io::CameraServerOptions o = loopback();
    o.endpoint = first->endpoint();
    auto second = io::CameraServer::start(o, pattern(8, 8));
    ASSERT_FALSE(second.is_ok());
    EXPECT_EQ(second.status().code(), StatusCode::kIoError);
    EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status().message();
    EXPECT_NE(second.status().message().find(first->endpoint()), std::string::npos) << second.status().message();

    TempDir dir;
    io::CameraServerOptions ipc = loopback();
    ipc.endpoint = "ipc://" + (dir / "cam.sock");
    auto a = start(ipc, pattern(8, 8));
    ASSERT_TRUE(a);
    auto b = io::CameraServer::start(ipc, pattern(8, 8));
    ASSERT_FALSE(b.is_ok());
    EXPECT_NE(b.status().message().find("another server is listening"), std::string::npos) << b.status().message();
    EXPECT_EQ(fetch_ok(*client(a->endpoint())).image.cols, 8) << "the first server keeps its socket";
}

TEST(CameraServer, IpcSocketFileIsRemovedAtStop) {
    TempDir dir;
    const std::string path = dir / "camera.ipc";
    io::CameraServerOptions o = loopback();
    o.endpoint = "ipc://" + path;
    auto server = start(o, pattern(24, 16));
    ASSERT_TRUE(server);
    EXPECT_EQ(server->endpoint(), "ipc://" + path);
    EXPECT_TRUE(std::filesystem::exists(path));
    io::RemoteFrame f = fetch_ok(*client(server->endpoint()));
    EXPECT_EQ(testing::pattern_error(f.image, f.header.seq), 0.0);
    server->stop();
    EXPECT_FALSE(std::filesystem::exists(path));
    server->stop();  // idempotent
}

// Issue 24: one message of many 60 KB parts was held whole (ZMQ_MAXMSGSIZE bounds each part only).
TEST(CameraServer, MessagesOverTheTotalLimitAreRefusedAndServingGoesOn) {
    auto server = start(loopback(), pattern(8, 8));
    ASSERT_TRUE(server);
    zmq::context_t ctx;
    const std::string part(60000, 'x');
    for (size_t parts : {size_t{2}, size_t{40}}) {  // 120 KB in 2 parts; 2.4 MB in 40
        auto reply = raw_request(ctx, server->endpoint(), std::vector<std::string>(parts, part));
        nlohmann::json h = header_of(reply);
        EXPECT_EQ(h.value("error", ""), "bad_request") << h.dump();
        const std::string m = h.value("message", "");
        EXPECT_NE(m.find("exceeds the limit of 16 parts and 65536 bytes per message"), std::string::npos) << m;
        EXPECT_NE(m.find("message of " + std::to_string(parts + 2) + " parts"), std::string::npos) << m;  // + envelope
    }
    EXPECT_EQ(header_of(raw_request(ctx, server->endpoint(), {"{}"})).value("status", ""), "ok");
}

// Issue 24: libzmq unlinks the path before binding, so `camera-server -i --ipc-path FILE` deleted FILE.
TEST(CameraServer, IpcPathThatIsNotASocketIsRefusedAndKept) {
    TempDir dir;
    const std::string file = dir / "notes.txt";
    {
        std::ofstream out(file);
        out << "precious";
    }
    std::filesystem::create_symlink(file, dir / "link");
    for (const std::string& path : {file, dir / "link", dir.path().string()}) {
        io::CameraServerOptions o = loopback();
        o.endpoint = "ipc://" + path;
        auto server = io::CameraServer::start(o, pattern(8, 8));
        ASSERT_FALSE(server.is_ok()) << path;
        EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
        EXPECT_NE(server.status().message().find("'" + path + "' exists"), std::string::npos)
            << server.status().message();
        EXPECT_NE(server.status().message().find("not a socket"), std::string::npos) << server.status().message();
    }
    std::ifstream in(file);
    std::string text;
    in >> text;
    EXPECT_EQ(text, "precious");
    EXPECT_TRUE(std::filesystem::is_symlink(dir / "link"));
}

TEST(CameraClient, NobodyAnsweringIsAClearError) {
    int port;
    {  // a port that was free a moment ago
        auto s = start(loopback(), pattern(8, 8));
        ASSERT_TRUE(s);
        port = std::stoi(s->endpoint().substr(s->endpoint().rfind(':') + 1));
    }
    io::CameraClientOptions o;
    o.timeout_ms = 200;
    o.retries = 1;
    auto c = io::CameraClient::connect("tcp://127.0.0.1:" + std::to_string(port), o);
    ASSERT_TRUE(c.is_ok());
    auto t0 = Clock::now();
    auto r = c.value()->fetch();
    double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kSourceLost);
    EXPECT_NE(r.status().message().find("no reply in 2 attempts of 200 ms"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("edgeinfer camera-server"), std::string::npos);
    EXPECT_GT(seconds, 0.35);
    EXPECT_LT(seconds, 1.5);
}

TEST(CameraClient, ReconnectsAfterServerRestart) {
    auto first = start(loopback(100), pattern(16, 8));
    ASSERT_TRUE(first);
    const std::string endpoint = first->endpoint();
    io::CameraClientOptions o;
    o.timeout_ms = 300;
    o.retries = 10;
    auto c = io::CameraClient::connect(endpoint, o);
    ASSERT_TRUE(c.is_ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.value()->fetch().is_ok());
    first.reset();  // server gone

    io::CameraServerOptions same = loopback(100);
    same.endpoint = endpoint;
    std::thread restart([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        first = start(same, pattern(16, 8));
    });
    auto r = c.value()->fetch();  // times out once or twice, then finds the new server
    restart.join();
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->header.ok);
    EXPECT_EQ(testing::pattern_error(r->image, r->header.seq), 0.0);
    auto again = c.value()->fetch();  // the new server's smaller seq numbers are fine
    ASSERT_TRUE(again.is_ok());
    EXPECT_TRUE(again->header.ok);
}

TEST(CameraServer, LoopedVideoFile) {
    TempDir dir;
    const std::string path = dir / "loop.avi";
    ASSERT_TRUE(testing::write_test_video(path, 8));
    io::SourceOptions loop;
    loop.loop = true;
    auto server = start(loopback(400), [path, loop] { return io::open_source(path, loop); });
    ASSERT_TRUE(server);
    auto c = client(server->endpoint());
    uint64_t seq = 0;
    int checked = 0;
    for (int i = 0; i < 200 && (seq < 20 || checked < 5); ++i) {
        io::RemoteFrame f = fetch_ok(*c);
        seq = f.header.seq;
        EXPECT_LT(testing::colour_error(f.image, testing::video_colour(int(seq % 8))), 4.0) << "seq " << seq;
        ++checked;
    }
    EXPECT_GE(seq, 20u) << "the 8-frame video loops";
    EXPECT_GE(checked, 5);
}

}  // namespace
}  // namespace edgeinfer
