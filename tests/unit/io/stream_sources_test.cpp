// Network and GStreamer DATASPECs (issue 18): gst:PIPELINE through OpenCV's GStreamer backend, and
// streams made on loopback by Debian's gst-launch-1.0 (gstreamer1.0-tools, -plugins-base, -good):
// JPEG over UDP read as udp://127.0.0.1:PORT by OpenCV's FFmpeg backend, and RTP/JPEG over UDP read
// by a gst:udpsrc pipeline. Skipped where gst-launch-1.0 or the plugins are missing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "io/frame_source.hpp"

extern char** environ;

namespace edgeinfer {
namespace {

bool have_gstreamer(const char* elements) {
    const std::string command =
        std::string("for e in ") + elements + "; do gst-inspect-1.0 $e > /dev/null 2>&1 || exit 1; done";
    return std::system(command.c_str()) == 0;
}

// The plugin folder of this program's own architecture: gst-inspect-1.0 above is the build machine's, so
// under qemu (scripts/test-arm64) it lists x86_64 plugins that an arm64 process cannot load.
std::string gst_plugin_dir() {
#if defined(__aarch64__)
    return "/usr/lib/aarch64-linux-gnu/gstreamer-1.0";
#elif defined(__x86_64__)
    return "/usr/lib/x86_64-linux-gnu/gstreamer-1.0";
#else
    return "";
#endif
}

// `elements` usable from this process (OpenCV's GStreamer backend), not only from gst-launch-1.0: also
// plugins-base's videotestsrc plugin in this architecture's folder (libgstreamer's own core elements are
// there in any case).
bool have_gstreamer_here(const char* elements) {
    const std::string dir = gst_plugin_dir();
    return have_gstreamer(elements) && (dir.empty() || std::filesystem::exists(dir + "/libgstvideotestsrc.so"));
}

// A UDP port nothing listens on now.
int free_udp_port() {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

// gst-launch-1.0 with `pipeline` (split on spaces) running until the test ends.
class Sender {
  public:
    explicit Sender(const std::string& pipeline) {
        std::vector<std::string> words{"gst-launch-1.0", "-q"};
        for (size_t start = 0; start < pipeline.size();) {
            size_t end = pipeline.find(' ', start);
            if (end == std::string::npos) end = pipeline.size();
            if (end > start) words.push_back(pipeline.substr(start, end - start));
            start = end + 1;
        }
        std::vector<char*> argv;
        for (std::string& w : words) argv.push_back(w.data());
        argv.push_back(nullptr);
        if (posix_spawnp(&pid_, "gst-launch-1.0", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
    }
    ~Sender() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    bool started() const { return pid_ > 0; }

  private:
    pid_t pid_ = -1;
};

// A test picture (white, or "snow": noise, whose JPEG frames are large enough for FFmpeg's stream
// probe to finish in a moment), I420 (what rtpjpegpay accepts), 30 fps in real time, for about 10 s.
std::string jpeg_source(const std::string& pattern = "white") {
    return "videotestsrc pattern=" + pattern +
           " num-buffers=300 is-live=true ! video/x-raw,width=64,height=48,format=I420,framerate=30/1 ! jpegenc ! ";
}

// Reads `count` frames: each 64x48 and white (JPEG and YUV rounding aside).
void expect_white_frames(io::FrameSource& source, int count) {
    for (int i = 0; i < count; ++i) {
        Result<io::Frame> frame = source.next();
        ASSERT_TRUE(frame.is_ok()) << i << ": " << frame.status().to_string();
        EXPECT_EQ(frame->width(), 64);
        EXPECT_EQ(frame->height(), 48);
        const cv::Scalar mean = cv::mean(frame->image);
        for (int c = 0; c < 3; ++c) EXPECT_GT(mean[c], 220.0) << "frame " << i << " channel " << c;
    }
}

TEST(StreamSources, GStreamerPipelineToTheEnd) {
    if (!have_gstreamer_here("videotestsrc videoconvert appsink"))
        GTEST_SKIP() << "GStreamer plugins-base missing (for this architecture: " << gst_plugin_dir() << ")";
    const std::string spec =
        "gst:videotestsrc pattern=white num-buffers=30 ! video/x-raw,width=64,height=48 ! videoconvert ! appsink";
    auto source = io::open_source(spec);
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    EXPECT_NE(source.value()->describe().find("GStreamer"), std::string::npos) << source.value()->describe();
    expect_white_frames(*source.value(), 29);
    Result<io::Frame> last = source.value()->next();
    ASSERT_TRUE(last.is_ok()) << last.status().to_string();
    EXPECT_EQ(last->seq, 29u);
    EXPECT_EQ(io::frame_label(last.value()), spec + "#29");
    EXPECT_EQ(source.value()->next().status().code(), StatusCode::kEndOfStream);
}

TEST(StreamSources, GStreamerPipelineErrorsAreNamed) {
    auto no_sink = io::open_source("gst:videotestsrc ! videoconvert");
    EXPECT_EQ(no_sink.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(no_sink.status().message().find("must end in an appsink"), std::string::npos)
        << no_sink.status().message();
    if (!have_gstreamer("videotestsrc appsink")) GTEST_SKIP() << "GStreamer plugins-base missing";
    auto misspelt = io::open_source("gst:videotestsource ! appsink");
    ASSERT_FALSE(misspelt.is_ok());
    EXPECT_NE(misspelt.status().message().find("gst:videotestsource"), std::string::npos)
        << misspelt.status().message();
}

TEST(StreamSources, UdpUrlThroughFfmpeg) {
    if (!have_gstreamer("videotestsrc jpegenc udpsink")) GTEST_SKIP() << "gst-launch-1.0 or its plugins missing";
    const int port = free_udp_port();
    ASSERT_GT(port, 0);
    Sender sender(jpeg_source("snow") + "udpsink host=127.0.0.1 port=" + std::to_string(port));
    ASSERT_TRUE(sender.started());
    auto source = io::open_source("udp://127.0.0.1:" + std::to_string(port));
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    for (int i = 0; i < 10; ++i) {
        Result<io::Frame> frame = source.value()->next();
        ASSERT_TRUE(frame.is_ok()) << i << ": " << frame.status().to_string();
        EXPECT_EQ(frame->width(), 64);
        EXPECT_EQ(frame->height(), 48);
        cv::Scalar mean, stddev;
        cv::meanStdDev(frame->image, mean, stddev);
        EXPECT_GT(stddev[0], 40.0) << "frame " << i << ": noise expected";
    }
}

TEST(StreamSources, RtpOverUdpThroughAGStreamerPipeline) {
    if (!have_gstreamer_here(
            "videotestsrc jpegenc rtpjpegpay udpsink udpsrc rtpjpegdepay jpegdec videoconvert appsink"))
        GTEST_SKIP() << "gst-launch-1.0 or its plugins missing (for this architecture: " << gst_plugin_dir() << ")";
    const int port = free_udp_port();
    ASSERT_GT(port, 0);
    Sender sender(jpeg_source() + "rtpjpegpay ! udpsink host=127.0.0.1 port=" + std::to_string(port));
    ASSERT_TRUE(sender.started());
    // The pipeline's open returns with the first packet (udpsrc is live).
    auto source = io::open_source("gst:udpsrc port=" + std::to_string(port) +
                                  " caps=\"application/x-rtp,media=video,encoding-name=JPEG,payload=26,"
                                  "clock-rate=90000\" ! rtpjpegdepay ! jpegdec ! videoconvert ! appsink");
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    expect_white_frames(*source.value(), 10);
}

}  // namespace
}  // namespace edgeinfer
