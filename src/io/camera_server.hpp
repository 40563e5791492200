// io::CameraServer: owns a frame source, captures on its own thread keeping only the newest
// frame, and serves it over ZeroMQ (request/reply on a ROUTER socket, or --publish on a PUB
// socket) in the protocol of docs/camera-protocol.md. Slow clients never slow the capture.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io/camera_protocol.hpp"
#include "io/frame_source.hpp"

namespace edgeinfer::io {

struct CameraServerOptions {
    std::string endpoint = "tcp://127.0.0.1:8089";  // tcp://HOST:PORT (port 0 picks a free one) or ipc://PATH
    bool publish = false;                           // PUB every frame instead of answering requests
    Encoding publish_encoding = Encoding::kBgr;
    int publish_quality = 90;
    double fps = 0.0;  // capture rate cap; 0: the source's nominal rate (video, pattern) or as delivered (camera)
    bool hflip = false;
    bool vflip = false;
    bool centre = false;  // crop the centre square (after flipping)
    // A folder from `edgeinfer camera-server --generate-keys` (io/curve.hpp): ZeroMQ CURVE with the
    // server's key pair, accepting only clients whose public keys authorized_clients lists. "": none.
    std::string curve_keys;
};

struct CameraServerStats {
    uint64_t captured = 0;         // frames captured (the next sequence number)
    uint64_t requests = 0;         // requests received, valid or not
    uint64_t frames_sent = 0;      // frame replies and publications
    uint64_t errors_sent = 0;      // error replies and publications
    uint64_t source_failures = 0;  // times the source failed to open or stopped delivering
    uint64_t clients_refused = 0;  // CURVE handshakes refused (a client key not in authorized_clients)
};

class CameraServer {
  public:
    // Called on the capture thread to open the source, and again (with backoff, up to once a
    // second) after it fails; the errors it returns are what clients are told meanwhile.
    using SourceFactory = std::function<Result<std::unique_ptr<FrameSource>>()>;

    // Binds (kIoError naming the address when it is in use) and starts the two threads.
    static Result<std::unique_ptr<CameraServer>> start(const CameraServerOptions& options, SourceFactory factory);
    ~CameraServer();  // stop()
    CameraServer(const CameraServer&) = delete;
    CameraServer& operator=(const CameraServer&) = delete;

    // The bound address, with the actual port: "tcp://127.0.0.1:40123", "ipc:///tmp/cam".
    const std::string& endpoint() const;
    // Stops both threads, closes the socket and removes an ipc:// socket file. Idempotent.
    void stop();
    CameraServerStats stats() const;

  private:
    struct Impl;
    explicit CameraServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The endpoint `edgeinfer camera-server` listens on: with `ipc`, ipc://IPC_PATH (default
// private_ipc_dir()/camera-PORT); else tcp://BIND:PORT, BIND being `bind_address` (an interface's
// address or name), or * with `all_interfaces`, else 127.0.0.1. kInvalidArgument naming the port
// when it is outside 0..65535, or when `bind_address` and `all_interfaces` are both given.
Result<std::string> camera_endpoint(int port, bool ipc, const std::string& ipc_path = "", bool all_interfaces = false,
                                    const std::string& bind_address = "");

// The private folder for default ipc:// sockets: $XDG_RUNTIME_DIR/edgeinfer when XDG_RUNTIME_DIR is
// set, else /tmp/edgeinfer-UID; created with mode 0700, or made 0700 when it exists and is ours.
// kIoError naming it when it is not a folder, belongs to another user, or cannot be made.
Result<std::string> private_ipc_dir();

// `endpoint` (tcp://HOST:PORT) with HOST replaced by this machine's first IPv4 address that is up
// and not loopback, for telling clients where to connect; unchanged when there is none.
std::string reachable_endpoint(const std::string& endpoint);

// Starts a server on the source `dataspec`. The source is opened once now, so a mistyped file or
// spec fails here; a camera that is absent or busy (kSourceLost) does not: its status goes to
// `*source_lost` (when given) and the server opens the source again until it appears.
Result<std::unique_ptr<CameraServer>> start_camera_server(const std::string& dataspec,
                                                          const SourceOptions& source_options,
                                                          const CameraServerOptions& options,
                                                          Status* source_lost = nullptr);

}  // namespace edgeinfer::io
