// The camera client against a stand-in server (a REP socket in a thread) that answers what each test
// wants, valid or hostile: truncated JPEGs, replies too large, malformed replies, restarts.
#include "io/camera_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "edgeinfer/source.hpp"

namespace edgeinfer {
namespace {

// One reply: its parts, each a view of bytes that stay alive for the server's lifetime.
using Reply = std::vector<std::string_view>;

class StandInServer {
  public:
    // `answer(n)` gives the parts of the reply to the n-th request (0-based).
    explicit StandInServer(std::function<Reply(int)> answer) : answer_(std::move(answer)) {
        socket_.set(zmq::sockopt::linger, 0);
        socket_.bind("tcp://127.0.0.1:*");
        endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
        thread_ = std::thread([this] { serve(); });
    }
    ~StandInServer() {
        stop_ = true;
        thread_.join();
    }
    const std::string& endpoint() const { return endpoint_; }
    int requests() const { return requests_; }

  private:
    void serve() {
        while (!stop_) {
            zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, std::chrono::milliseconds(20));
            if (!(item.revents & ZMQ_POLLIN)) continue;
            std::vector<zmq::message_t> request;
            if (!zmq::recv_multipart(socket_, std::back_inserter(request))) continue;
            Reply reply = answer_(requests_++);
            for (size_t i = 0; i < reply.size(); ++i) {
                // Zero-copy: a reply of hundreds of MB costs the test no copy (and no pages never touched).
                zmq::message_t part(const_cast<char*>(reply[i].data()), reply[i].size(), nullptr);
                (void)socket_.send(part, i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
            }
        }
    }

    std::function<Reply(int)> answer_;
    zmq::context_t context_{1};
    zmq::socket_t socket_{context_, zmq::socket_type::rep};
    std::string endpoint_;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::thread thread_;
};

std::string jpeg_header(int width, int height, size_t size, uint64_t seq) {
    return nlohmann::json{{"version", 1},      {"status", "ok"},     {"width", width},      {"height", height},
                          {"channels", 3},     {"encoding", "jpeg"}, {"quality", 90},       {"seq", seq},
                          {"timestamp_us", 1}, {"size", size},       {"source", "stand-in"}}
        .dump();
}

// A JPEG of noise (its scan data is most of the bytes, so a cut keeps the headers whole).
std::string jpeg_bytes(int width, int height) {
    cv::Mat image(height, width, CV_8UC3);
    cv::randu(image, 0, 256);
    std::vector<uint8_t> out;
    EXPECT_TRUE(cv::imencode(".jpg", image, out));
    return std::string(out.begin(), out.end());
}

// Issue 24: a truncated JPEG payload was decoded with only libjpeg's stderr line to show for it.
TEST(CameraClient, TruncatedJpegRepliesAreWarnedAndCounted) {
    const std::string whole = jpeg_bytes(64, 48);
    const std::string cut = whole.substr(0, whole.size() * 3 / 5);
    const std::string cut_header = jpeg_header(64, 48, cut.size(), 1);
    const std::string whole_header = jpeg_header(64, 48, whole.size(), 2);
    StandInServer server([&](int n) { return n == 0 ? Reply{cut_header, cut} : Reply{whole_header, whole}; });
    auto source = FrameSource::open(server.endpoint() + "?encoding=jpeg&timeout_ms=2000");
    ASSERT_TRUE(source.is_ok()) << source.status().message();
    ::testing::internal::CaptureStderr();
    auto first = source.value()->next();
    const std::string log = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(first.is_ok()) << first.status().message();
    EXPECT_EQ(first->image.width(), 64);
    EXPECT_NE(log.find("truncated JPEG"), std::string::npos) << log;
    EXPECT_NE(log.find(server.endpoint()), std::string::npos) << log;
    EXPECT_EQ(source.value()->truncated_frames(), 1u);
    ASSERT_TRUE(source.value()->next().is_ok());
    EXPECT_EQ(source.value()->truncated_frames(), 1u);
}

// Issue 24: a 257 MiB reply was reported as "no reply ... is camera-server running?".
TEST(CameraClient, ReplyOverTheLimitIsReportedAsTooLarge) {
    const size_t size = size_t{257} << 20;
    // Never written: the kernel maps untouched pages to its zero page, so this costs the test no memory.
    std::unique_ptr<char[]> payload(new char[size]);
    const std::string header = jpeg_header(16384, 16384, size, 1);
    StandInServer server([&](int) { return Reply{header, std::string_view(payload.get(), size)}; });
    io::CameraClientOptions o;
    o.encoding = io::Encoding::kJpeg;
    o.timeout_ms = 1500;
    o.retries = 1;
    auto client = io::CameraClient::connect(server.endpoint(), o);
    ASSERT_TRUE(client.is_ok());
    auto reply = client.value()->fetch();
    ASSERT_FALSE(reply.is_ok());
    EXPECT_EQ(reply.status().code(), StatusCode::kIoError) << reply.status().message();
    EXPECT_NE(reply.status().message().find("reply too large"), std::string::npos) << reply.status().message();
    EXPECT_NE(reply.status().message().find(std::to_string(io::kMaxReplyPartBytes)), std::string::npos);
    EXPECT_EQ(reply.status().message().find("is `edgeinfer camera-server"), std::string::npos);
    EXPECT_GE(server.requests(), 1);
}

// Issue 24: one malformed reply mid-run ended the run with no retry; a restarted server's seq went unnoticed.
TEST(CameraClient, MalformedRepliesAreRetriedAndASequenceResetIsReported) {
    const std::string image = jpeg_bytes(16, 8);
    const std::string first = jpeg_header(16, 8, image.size(), 5);
    const std::string after_restart = jpeg_header(16, 8, image.size(), 1);
    const std::string junk = "not a header";
    StandInServer server([&](int n) {
        if (n == 0) return Reply{first, image};
        if (n == 1) return Reply{junk, image};
        if (n == 2) return Reply{after_restart, image};
        return Reply{junk, image};
    });
    io::CameraClientOptions o;
    o.encoding = io::Encoding::kJpeg;
    o.timeout_ms = 1500;
    o.retries = 1;
    auto client = io::CameraClient::connect(server.endpoint(), o);
    ASSERT_TRUE(client.is_ok());
    auto a = client.value()->fetch();
    ASSERT_TRUE(a.is_ok()) << a.status().message();
    EXPECT_EQ(a->header.seq, 5u);
    ::testing::internal::CaptureStderr();
    auto b = client.value()->fetch();  // a malformed reply, then (a new connection) the restarted server's seq 1
    const std::string log = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(b.is_ok()) << b.status().message();
    EXPECT_EQ(b->header.seq, 1u);
    EXPECT_NE(log.find("retrying on a new connection"), std::string::npos) << log;
    EXPECT_NE(log.find("went back from 5 to 1"), std::string::npos) << log;
    EXPECT_EQ(client.value()->sequence_resets(), 1u);
    auto c = client.value()->fetch();  // malformed in every attempt: the source is lost, naming what was wrong
    ASSERT_FALSE(c.is_ok());
    EXPECT_EQ(c.status().code(), StatusCode::kSourceLost);
    EXPECT_NE(c.status().message().find("bad reply header"), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("still after 2 attempts"), std::string::npos) << c.status().message();
}

// Issue 24: duplicate keys were accepted (nlohmann keeps the last one silently).
TEST(CameraProtocol, DuplicateKeysAreRefused) {
    auto request = io::decode_request(R"({"encoding":"bgr","quality":80,"encoding":"jpeg"})");
    ASSERT_FALSE(request.is_ok());
    EXPECT_EQ(request.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(request.status().message().find("\"encoding\" appears more than once"), std::string::npos)
        << request.status().message();
    EXPECT_TRUE(io::decode_request(R"({"encoding":"jpeg","quality":80})").is_ok());

    std::string header = jpeg_header(4, 4, 10, 1);
    header.insert(header.size() - 1, R"(,"seq":2)");
    auto reply = io::decode_reply_header(header);
    ASSERT_FALSE(reply.is_ok());
    EXPECT_NE(reply.status().message().find("\"seq\" appears more than once"), std::string::npos)
        << reply.status().message();
    EXPECT_TRUE(io::decode_reply_header(jpeg_header(4, 4, 10, 1)).is_ok());
}

}  // namespace
}  // namespace edgeinfer
