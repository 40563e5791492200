// camera_bench: frames per second and latency of the camera server on this machine, for
// 640x480 and 1920x1080, raw BGR and JPEG, request/reply and publish, over tcp loopback or ipc.
// Usage: camera_bench [--seconds S] [--ipc] [--quality Q]
//   throughput: the capture runs uncapped (the synthetic pattern, as fast as it renders);
//               req/rep counts replies/s (any frame) and new frames/s (`after`), publish counts
//               frames/s received and the share of captured frames the subscriber missed.
//   latency:    the capture runs at 30 fps like a camera; capture-to-client time (capture
//               timestamp to the frame decoded in the client), p50 and p95.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/camera_client.hpp"
#include "io/camera_server.hpp"
#include "io/sources.hpp"

namespace {

using namespace edgeinfer;
using Clock = std::chrono::steady_clock;

struct Config {
    double seconds = 2.0;
    bool ipc = false;
    int quality = 90;
};

struct Stats {
    double fps = 0;
    double mb_per_s = 0;
    double p50_ms = 0;
    double p95_ms = 0;
    double missed = 0;  // publish: share of captured frames not received
    int frames = 0;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

std::string endpoint(const Config& c, int n) {
    return c.ipc ? "ipc:///tmp/edgeinfer-camera-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n)
                 : "tcp://127.0.0.1:0";
}

std::unique_ptr<io::CameraServer> start_server(const Config& c, int w, int h, double fps, bool publish, io::Encoding e,
                                               int n) {
    io::CameraServerOptions o;
    o.endpoint = endpoint(c, n);
    o.fps = fps;
    o.publish = publish;
    o.publish_encoding = e;
    o.publish_quality = c.quality;
    auto s = io::CameraServer::start(o, [w, h] { return io::open_pattern_source(w, h); });
    if (!s.is_ok()) {
        std::fprintf(stderr, "camera_bench: %s\n", s.status().to_string().c_str());
        std::exit(1);
    }
    return std::move(s.value());
}

// Runs fetch() for `seconds`; returns frames/s, MB/s and capture-to-client latencies.
Stats run_client(io::CameraClient& client, double seconds, uint64_t* first_seq = nullptr,
                 uint64_t* last_seq = nullptr) {
    for (int i = 0; i < 3; ++i) (void)client.fetch();  // connect and warm up
    std::vector<double> latency;
    size_t bytes = 0;
    int frames = 0;
    auto start = Clock::now();
    auto end = start + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
        auto r = client.fetch();
        if (!r.is_ok() || !r->header.ok) continue;
        latency.push_back((io::now_us() - r->header.timestamp_us) / 1000.0);
        bytes += r->wire_bytes;
        if (first_seq && frames == 0) *first_seq = r->header.seq;
        if (last_seq) *last_seq = r->header.seq;
        ++frames;
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    return {frames / elapsed, bytes / elapsed / 1e6, percentile(latency, 0.5), percentile(latency, 0.95), 0, frames};
}

std::unique_ptr<io::CameraClient> connect(const std::string& ep, io::Encoding e, int quality, bool subscribe,
                                          bool fresh) {
    io::CameraClientOptions o;
    o.encoding = e;
    o.quality = quality;
    o.subscribe = subscribe;
    o.fresh = fresh;
    o.timeout_ms = 2000;
    return std::move(io::CameraClient::connect(ep, o).value());
}

}  // namespace

int main(int argc, char** argv) {
    Config c;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc)
            c.seconds = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--ipc"))
            c.ipc = true;
        else if (!std::strcmp(argv[i], "--quality") && i + 1 < argc)
            c.quality = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: camera_bench [--seconds S] [--ipc] [--quality Q]\n");
            return 2;
        }
    }
    std::printf("transport %s, %.1f s per row, JPEG quality %d, %u hardware threads\n\n",
                c.ipc ? "ipc" : "tcp loopback", c.seconds, c.quality, std::thread::hardware_concurrency());
    std::printf(
        "| frame | encoding | capture fps (uncapped) | req/rep replies/s | req/rep new frames/s | publish fps | "
        "publish missed | "
        "req/rep latency p50/p95 ms @30fps | publish latency p50/p95 ms @30fps | publish missed @30fps | MB/frame |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    int n = 0;
    for (auto [w, h] : {std::pair{640, 480}, std::pair{1920, 1080}}) {
        for (io::Encoding e : {io::Encoding::kBgr, io::Encoding::kJpeg}) {
            // Throughput: uncapped capture.
            Stats any, fresh, pub;
            uint64_t captured_rate = 0;
            {
                auto server = start_server(c, w, h, 100000, false, e, n++);
                auto t0 = Clock::now();
                uint64_t c0 = server->stats().captured;
                auto client = connect(server->endpoint(), e, c.quality, false, false);
                any = run_client(*client, c.seconds);
                auto client2 = connect(server->endpoint(), e, c.quality, false, true);
                fresh = run_client(*client2, c.seconds);
                captured_rate = static_cast<uint64_t>((server->stats().captured - c0) /
                                                      std::chrono::duration<double>(Clock::now() - t0).count());
            }
            {
                auto server = start_server(c, w, h, 100000, true, e, n++);
                auto client = connect(server->endpoint(), e, c.quality, true, false);
                uint64_t first = 0, last = 0;
                pub = run_client(*client, c.seconds, &first, &last);
                double received = pub.frames;
                pub.missed = last > first ? 1.0 - std::min(1.0, received / double(last - first + 1)) : 0;
            }
            // Latency: a 30 fps camera.
            Stats lat_req, lat_pub;
            {
                auto server = start_server(c, w, h, 30, false, e, n++);
                auto client = connect(server->endpoint(), e, c.quality, false, true);
                lat_req = run_client(*client, c.seconds);
            }
            {
                auto server = start_server(c, w, h, 30, true, e, n++);
                auto client = connect(server->endpoint(), e, c.quality, true, false);
                uint64_t first = 0, last = 0;
                lat_pub = run_client(*client, c.seconds, &first, &last);
                double received = lat_pub.frames;
                lat_pub.missed = last > first ? 1.0 - std::min(1.0, received / double(last - first + 1)) : 0;
            }
            double mb_per_frame = any.fps > 0 ? any.mb_per_s / any.fps : 0;
            std::printf(
                "| %dx%d | %s | %llu | %.0f | %.0f | %.0f | %.1f%% | %.2f / %.2f | %.2f / %.2f | %.1f%% | %.3f |\n", w,
                h, e == io::Encoding::kBgr ? "bgr" : "jpeg", static_cast<unsigned long long>(captured_rate), any.fps,
                fresh.fps, pub.fps, pub.missed * 100, lat_req.p50_ms, lat_req.p95_ms, lat_pub.p50_ms, lat_pub.p95_ms,
                lat_pub.missed * 100, mb_per_frame);
            std::fflush(stdout);
        }
    }
    return 0;
}
