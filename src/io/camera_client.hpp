// io::CameraClient: fetches frames from an `edgeinfer camera-server` (request/reply or
// subscribe), with per-request timeouts, a fresh connection after a timeout (so a restarted
// server is found again) and a clear kSourceLost when nobody answers. open_camera_source wraps
// it as the FrameSource behind tcp:// and ipc:// DATASPECs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "io/camera_protocol.hpp"
#include "io/frame_source.hpp"

namespace edgeinfer::io {

struct CameraClientOptions {
    Encoding encoding = Encoding::kBgr;
    int quality = 90;           // JPEG quality asked for
    bool subscribe = false;     // the server runs with --publish: receive every published frame
    bool fresh = true;          // request/reply: ask for a frame newer than the last one received
    int timeout_ms = 1500;      // per attempt
    int retries = 2;            // further attempts, each on a new connection, before kSourceLost
    int lost_after_ms = 10000;  // FrameSource: how long server-reported errors are retried
    int64_t max_pixels = 0;     // most pixels a reply's frame may declare (0: 8K, 7680x4320), checked before decoding
    std::string curve_keys;     // folder of `camera-server --generate-keys` (server.pub, client.key/.pub): CURVE
};

// "tcp://host:port?encoding=jpeg&quality=80&mode=sub&timeout_ms=500&retries=1&fresh=0&curve_keys=DIR"
// -> the endpoint and options. kInvalidArgument names a bad query item.
struct CameraUrl {
    std::string endpoint;
    CameraClientOptions options;
};
Result<CameraUrl> parse_camera_url(std::string_view url);

// One reply: a frame (header.ok) or the server's error report (!header.ok, image empty).
struct RemoteFrame {
    ReplyHeader header;
    cv::Mat image;
    size_t wire_bytes = 0;   // header + payload as received
    bool truncated = false;  // a JPEG payload with no end-of-image marker (decoded, warned about)
};

// One connection; use it from one thread at a time (each thread or source gets its own client).
class CameraClient {
  public:
    static Result<std::unique_ptr<CameraClient>> connect(std::string endpoint, const CameraClientOptions& options);
    ~CameraClient();
    CameraClient(const CameraClient&) = delete;
    CameraClient& operator=(const CameraClient&) = delete;

    // Transport or protocol failures are Status errors (kSourceLost when nobody answers,
    // kIoError for a malformed reply, kInvalidArgument when the server refused the security
    // handshake: CURVE keys missing, unexpected or not authorized); a server-reported error is a
    // RemoteFrame with !header.ok.
    // A malformed reply (kIoError) is retried like a missing one, on a new connection; when the last
    // attempt's reply was malformed too, kSourceLost with its message. A frame whose seq is below the
    // previous one's (a restarted server) is warned about and counted in sequence_resets().
    Result<RemoteFrame> fetch();
    const std::string& endpoint() const;
    uint64_t sequence_resets() const;

  private:
    struct Impl;
    explicit CameraClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The FrameSource for tcp:// and ipc:// DATASPECs: server errors are retried with backoff for
// lost_after_ms, then kSourceLost with the server's message.
// max_pixels (0: 8K) applies unless the URL sets its own (?max_pixels=N).
Result<std::unique_ptr<FrameSource>> open_camera_source(std::string_view url, int64_t max_pixels = 0);

}  // namespace edgeinfer::io
