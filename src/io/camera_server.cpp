// The camera server: a capture thread that keeps only the newest frame, and a serve thread
// that answers requests (ROUTER) or publishes frames (PUB), encoding each frame at most once
// per encoding and sending raw frames without copying them.
#include "io/camera_server.hpp"

#include <malloc.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <opencv2/core.hpp>
#include <optional>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "io/curve.hpp"
#include "io/reconnect.hpp"

namespace edgeinfer::io {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxInboundBytes = 65536;  // larger inbound parts drop the connection (ZMQ_MAXMSGSIZE)
// One inbound message in all (ZMQ_MAXMSGSIZE bounds each part only): more parts or bytes are read and
// dropped part by part, and the sender gets bad_request.
constexpr size_t kMaxInboundParts = 16;
constexpr size_t kMaxInboundMessageBytes = 65536;
constexpr int kSendHighWater = 8;     // frames queued per peer before further ones are dropped
constexpr size_t kMaxPending = 1024;  // requests held waiting for a newer frame
constexpr auto kErrorRepublish = std::chrono::seconds(1);

struct CapturedFrame {
    cv::Mat image;  // continuous BGR8
    uint64_t seq = 0;
    int64_t timestamp_us = 0;
};

// One encoded frame: its reply header and payload bytes, kept alive while zmq sends them.
struct Encoded {
    std::string header;
    std::shared_ptr<const void> owner;
    const void* data = nullptr;
    size_t size = 0;
};

struct Pending {
    std::vector<std::string> envelope;
    FrameRequest request;
    Clock::time_point deadline;
};

void release_payload(void* /*data*/, void* hint) { delete static_cast<std::shared_ptr<const void>*>(hint); }

// True when something accepts connections on the unix socket at `path` (a live server).
bool unix_socket_in_use(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) return false;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return live;
}

cv::Mat process(const cv::Mat& in, const CameraServerOptions& o) {
    cv::Mat image = in;
    if (o.hflip || o.vflip) cv::flip(in, image, o.hflip && o.vflip ? -1 : (o.hflip ? 1 : 0));
    if (o.centre && image.cols != image.rows) {
        int side = std::min(image.cols, image.rows);
        image = image(cv::Rect((image.cols - side) / 2, (image.rows - side) / 2, side, side));
    }
    if (!image.isContinuous()) image = image.clone();
    return image;
}

}  // namespace

struct CameraServer::Impl {
    CameraServerOptions options;
    SourceFactory factory;
    std::string endpoint;
    std::string ipc_path;  // the socket file to remove at stop, when ipc://
    zmq::context_t context{1};
    std::optional<zmq::socket_t> socket;
    int event_fd = -1;
    std::atomic<bool> stopping{false};
    std::atomic<bool> stopped{false};
    std::thread capture_thread;
    std::thread serve_thread;
    // CURVE: ZeroMQ's authentication handler (ZAP), answering for the accepted client keys.
    std::optional<zmq::socket_t> zap;
    std::vector<std::string> authorized_clients;
    std::thread zap_thread;
    std::atomic<uint64_t> clients_refused{0};

    // Shared between the threads.
    mutable std::mutex mu;
    std::condition_variable wake;  // capture thread sleeps (rate, backoff) end early at stop
    std::shared_ptr<const CapturedFrame> latest;
    std::optional<std::string> error;  // set while the source fails
    std::string source_name;
    uint64_t next_seq = 0;
    std::atomic<uint64_t> requests{0}, frames_sent{0}, errors_sent{0}, source_failures{0};

    // Serve thread only.
    std::deque<Pending> pending;
    uint64_t cache_seq = UINT64_MAX;
    std::map<std::pair<int, int>, std::shared_ptr<const Encoded>> cache;
    uint64_t last_published = UINT64_MAX;
    std::string last_error_published;
    Clock::time_point last_error_time{};

    // ---- binding ----

    Status bind() {
        std::string ep = options.endpoint;
        const bool tcp = ep.rfind("tcp://", 0) == 0;
        if (!tcp && ep.rfind("ipc://", 0) != 0)
            return invalid_argument("camera server address '" + ep + "': expected tcp://HOST:PORT or ipc://PATH");
        if (tcp && ep.size() > 2 && ep.compare(ep.size() - 2, 2, ":0") == 0) ep.replace(ep.size() - 1, 1, "*");
        if (!tcp) {
            ipc_path = ep.substr(6);
            if (ipc_path.empty()) return invalid_argument("camera server address 'ipc://' needs a path");
            if (unix_socket_in_use(ipc_path))
                return io_error("cannot listen on " + ep + ": another server is listening on that socket");
            // libzmq unlinks whatever is at the path before binding: refuse anything but a (stale) socket.
            struct stat st {};
            if (::lstat(ipc_path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
                const std::string what = S_ISREG(st.st_mode)   ? "a regular file"
                                         : S_ISDIR(st.st_mode) ? "a directory"
                                         : S_ISLNK(st.st_mode) ? "a symbolic link"
                                                               : "not a socket";
                ipc_path.clear();  // not ours: never removed at stop
                return invalid_argument("cannot listen on " + ep + ": '" + ep.substr(6) + "' exists and is " + what +
                                        ", not a socket; refusing to replace it (choose another --ipc-path)");
            }
        }
        try {
            socket.emplace(context, options.publish ? zmq::socket_type::pub : zmq::socket_type::router);
            socket->set(zmq::sockopt::linger, 0);
            if (!options.curve_keys.empty()) {
                Result<CurveServerKeys> keys = load_curve_server_keys(options.curve_keys);
                if (!keys.is_ok()) {
                    socket.reset();
                    if (!tcp) ipc_path.clear();
                    return keys.status();
                }
                authorized_clients = keys->authorized_clients;
                zap.emplace(context, zmq::socket_type::rep);
                zap->set(zmq::sockopt::linger, 0);
                zap->bind("inproc://zeromq.zap.01");
                socket->set(zmq::sockopt::zap_domain, "edgeinfer-camera");
                socket->set(zmq::sockopt::curve_server, true);
                socket->set(zmq::sockopt::curve_secretkey, keys->secret_key);
            }
            socket->set(zmq::sockopt::sndhwm, kSendHighWater);
            socket->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxInboundBytes));
            socket->bind(ep);
            endpoint = socket->get(zmq::sockopt::last_endpoint);
        } catch (const zmq::error_t& e) {
            socket.reset();
            zap.reset();
            if (!tcp) ipc_path.clear();  // not ours
            std::string hint = e.num() == EADDRINUSE ? " (another camera-server? choose another --port)" : "";
            return io_error("cannot listen on " + ep + ": " + e.what() + hint);
        }
        event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (event_fd < 0) return io_error(std::string("eventfd: ") + std::strerror(errno));
        return Status::ok();
    }

    void notify() const {
        uint64_t one = 1;
        ssize_t n = ::write(event_fd, &one, sizeof(one));
        (void)n;
    }

    // ---- ZAP thread (CURVE) ----

    // Answers ZeroMQ's authentication requests (RFC 27): 200 for a listed client key, 400 otherwise.
    void zap_loop() {
        while (!stopping) {
            try {
                zmq::pollitem_t item{static_cast<void*>(*zap), 0, ZMQ_POLLIN, 0};
                zmq::poll(&item, 1, std::chrono::milliseconds(100));
                if (!(item.revents & ZMQ_POLLIN)) continue;
                std::vector<zmq::message_t> request;
                if (!zmq::recv_multipart(*zap, std::back_inserter(request))) continue;
                while (request.size() < 6) request.emplace_back();  // (libzmq sends 7 parts for CURVE)
                const std::string key = request.size() >= 7 && request[5].to_string_view() == "CURVE"
                                            ? z85_key(request[6].to_string_view())
                                            : "";
                const bool accepted = !key.empty() && std::find(authorized_clients.begin(), authorized_clients.end(),
                                                                key) != authorized_clients.end();
                if (!accepted) {
                    ++clients_refused;
                    base::log_warning("camera server: refused a client from " + request[3].to_string() +
                                      (key.empty() ? " (no CURVE key)"
                                                   : " whose CURVE key " + key + " is not in authorized_clients"));
                }
                const std::string version = request[0].to_string(), id = request[1].to_string();
                const std::string code = accepted ? "200" : "400";
                const std::string text = accepted ? "OK" : "client key not authorized";
                const std::array<zmq::const_buffer, 6> reply{zmq::buffer(version), zmq::buffer(id),
                                                             zmq::buffer(code),    zmq::buffer(text),
                                                             zmq::const_buffer(),  zmq::const_buffer()};
                zmq::send_multipart(*zap, reply);
            } catch (const zmq::error_t& e) {
                if (e.num() == ETERM) return;
                base::log_warning(std::string("camera server: authentication handler: ") + e.what());
            }
        }
    }

    // ---- capture thread ----

    bool sleep_until(Clock::time_point t) {
        std::unique_lock<std::mutex> lock(mu);
        return !wake.wait_until(lock, t, [&] { return stopping.load(); });
    }

    void set_error(const Status& status) {
        {
            std::lock_guard<std::mutex> lock(mu);
            if (error && *error == status.message()) return;
            error = status.message();
        }
        base::log_warning("camera server: " + status.message());
        notify();
    }

    void capture_loop() {
        std::unique_ptr<FrameSource> source;
        RateLimiter limiter;
        std::chrono::milliseconds backoff = kErrorBackoffFirst;
        while (!stopping) {
            if (!source) {
                Result<std::unique_ptr<FrameSource>> opened = factory();
                if (!opened.is_ok()) {
                    ++source_failures;
                    set_error(opened.status());
                    if (!sleep_until(Clock::now() + backoff)) break;
                    backoff = std::min(backoff * 2, kErrorBackoffMax);
                    continue;
                }
                source = std::move(opened.value());
                limiter = RateLimiter(options.fps > 0 ? options.fps : source->nominal_fps());
                std::lock_guard<std::mutex> lock(mu);
                source_name = source->describe();
            }
            if (!sleep_until(limiter.next_slot())) break;
            Result<io::Frame> frame = source->next();
            if (!frame.is_ok()) {
                ++source_failures;
                set_error(frame.status());
                source.reset();
                if (!sleep_until(Clock::now() + backoff)) break;
                backoff = std::min(backoff * 2, kErrorBackoffMax);
                continue;
            }
            backoff = kErrorBackoffFirst;
            auto captured = std::make_shared<CapturedFrame>();
            captured->image = process(frame->image, options);
            captured->timestamp_us = frame->timestamp_us;
            {
                std::lock_guard<std::mutex> lock(mu);
                captured->seq = next_seq++;
                latest = std::move(captured);
                if (error) base::log_info("camera server: source recovered");
                error.reset();
            }
            notify();
        }
    }

    // ---- serve thread ----

    std::shared_ptr<const Encoded> encode(const std::shared_ptr<const CapturedFrame>& frame, Encoding encoding,
                                          int quality, const std::string& source) {
        if (frame->seq != cache_seq) {
            cache.clear();
            cache_seq = frame->seq;
        }
        if (encoding == Encoding::kBgr) quality = 0;
        auto key = std::make_pair(static_cast<int>(encoding), quality);
        if (auto it = cache.find(key); it != cache.end()) return it->second;
        auto out = std::make_shared<Encoded>();
        if (encoding == Encoding::kBgr) {
            out->owner = frame;
            out->data = frame->image.data;
            out->size = frame->image.total() * 3;
        } else {
            auto bytes = std::make_shared<std::vector<uint8_t>>();
            Result<std::vector<uint8_t>> jpeg = encode_payload(frame->image, encoding, quality);
            if (jpeg.is_ok()) *bytes = std::move(jpeg.value());
            out->owner = bytes;
            out->data = bytes->data();
            out->size = bytes->size();
        }
        ReplyHeader h;
        h.width = frame->image.cols;
        h.height = frame->image.rows;
        h.encoding = encoding;
        h.quality = quality;
        h.seq = frame->seq;
        h.timestamp_us = frame->timestamp_us;
        h.size = out->size;
        h.source = source;
        out->header = encode_reply_header(h);
        cache[key] = out;
        return out;
    }

    // Sends envelope + header + payload without blocking; a peer that is gone or full drops it.
    void send(const std::vector<std::string>& envelope, const std::string& header, const Encoded* payload) {
        try {
            const auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
            for (const std::string& part : envelope) socket->send(zmq::buffer(part), more);
            socket->send(zmq::buffer(header), more);
            if (payload && payload->size > 0) {
                zmq::message_t body(const_cast<void*>(payload->data), payload->size, release_payload,
                                    new std::shared_ptr<const void>(payload->owner));
                socket->send(body, zmq::send_flags::dontwait);
            } else {
                socket->send(zmq::message_t(), zmq::send_flags::dontwait);
            }
        } catch (const zmq::error_t& e) {
            if (e.num() != ETERM) base::log_debug(std::string("camera server: send failed: ") + e.what());
        }
    }

    void send_error(const std::vector<std::string>& envelope, std::string_view code, const std::string& message,
                    uint64_t seq) {
        ReplyHeader h;
        h.ok = false;
        h.error = std::string(code);
        h.message = message;
        h.seq = seq;
        send(envelope, encode_reply_header(h), nullptr);
        ++errors_sent;
    }

    struct Snapshot {
        std::shared_ptr<const CapturedFrame> frame;
        std::optional<std::string> error;
        std::string source;
    };

    Snapshot snapshot() const {
        std::lock_guard<std::mutex> lock(mu);
        return {latest, error, source_name};
    }

    // Answers now when it can; false when the request must wait for a (newer) frame.
    bool answer(const std::vector<std::string>& envelope, const FrameRequest& request, const Snapshot& s) {
        uint64_t last = s.frame ? s.frame->seq : 0;
        if (s.error) {
            send_error(envelope, kErrorSourceLost, *s.error, last);
            return true;
        }
        // `after` only waits when it names the newest frame; any other value (an older frame,
        // or a number from a previous server run) is answered at once with the newest.
        if (!s.frame || (request.after && *request.after == s.frame->seq)) return false;
        auto encoded = encode(s.frame, request.encoding, request.quality, s.source);
        send(envelope, encoded->header, encoded.get());
        ++frames_sent;
        return true;
    }

    void handle_request(std::vector<zmq::message_t>& parts, const Snapshot& s) {
        ++requests;
        // ROUTER framing: [peer id, (REQ's empty delimiter), body]; the reply repeats the envelope.
        size_t body_start = 1;
        for (size_t i = 1; i < parts.size(); ++i)
            if (parts[i].size() == 0) {
                body_start = i + 1;
                break;
            }
        std::vector<std::string> envelope;
        for (size_t i = 0; i < body_start; ++i) envelope.push_back(parts[i].to_string());
        const size_t body_parts = parts.size() - body_start;
        if (body_parts > 1) {
            send_error(envelope, kErrorBadRequest, "expected one request frame, got " + std::to_string(body_parts), 0);
            return;
        }
        std::string_view body = body_parts ? parts[body_start].to_string_view() : std::string_view();
        Result<FrameRequest> request = decode_request(body);
        if (!request.is_ok()) {
            bool encoding = request.status().code() == StatusCode::kUnsupported;
            send_error(envelope, encoding ? kErrorUnsupportedEncoding : kErrorBadRequest, request.status().message(),
                       0);
            return;
        }
        if (answer(envelope, request.value(), s)) return;
        if (request->wait_ms == 0 || pending.size() >= kMaxPending) {
            if (request->wait_ms == 0)
                send_error(envelope, kErrorTimeout, "no newer frame (wait_ms is 0)", 0);
            else
                send_error(envelope, kErrorBusy, "too many requests waiting for a frame", 0);
            return;
        }
        pending.push_back(
            {std::move(envelope), request.value(), Clock::now() + std::chrono::milliseconds(request->wait_ms)});
    }

    // One inbound message, part by part, keeping at most kMaxInboundParts parts and
    // kMaxInboundMessageBytes bytes; false when none is waiting. *count and *bytes: the whole message.
    bool receive_message(std::vector<zmq::message_t>& parts, size_t* count, size_t* bytes) {
        *count = 0;
        *bytes = 0;
        for (bool more = true; more;) {
            zmq::message_t part;
            if (!socket->recv(part, zmq::recv_flags::dontwait)) return *count > 0;
            ++*count;
            *bytes += part.size();
            more = part.more();
            if (*count <= kMaxInboundParts && *bytes <= kMaxInboundMessageBytes) parts.push_back(std::move(part));
        }
        return true;
    }

    void refuse_oversized(const std::vector<zmq::message_t>& parts, size_t count, size_t bytes) {
        ++requests;
        if (parts.empty()) return;
        std::vector<std::string> envelope{parts[0].to_string()};  // the peer id, and REQ's delimiter if kept
        for (size_t i = 1; i < parts.size(); ++i)
            if (parts[i].size() == 0) {
                for (size_t k = 1; k <= i; ++k) envelope.push_back(parts[k].to_string());
                break;
            }
        send_error(envelope, kErrorBadRequest,
                   "message of " + std::to_string(count) + " parts and " + std::to_string(bytes) +
                       " bytes exceeds the limit of " + std::to_string(kMaxInboundParts) + " parts and " +
                       std::to_string(kMaxInboundMessageBytes) + " bytes per message",
                   0);
#ifdef __GLIBC__
        if (bytes > (size_t{1} << 20)) ::malloc_trim(0);  // hand the dropped parts' memory back to the system
#endif
    }

    void drain_requests() {
        for (int n = 0; n < 256; ++n) {
            std::vector<zmq::message_t> parts;
            size_t count = 0, bytes = 0;
            if (!receive_message(parts, &count, &bytes)) return;
            if (count > kMaxInboundParts || bytes > kMaxInboundMessageBytes)
                refuse_oversized(parts, count, bytes);
            else
                handle_request(parts, snapshot());
        }
    }

    void service_pending(const Snapshot& s) {
        const Clock::time_point now = Clock::now();
        for (auto it = pending.begin(); it != pending.end();) {
            if (answer(it->envelope, it->request, s)) {
                it = pending.erase(it);
            } else if (now >= it->deadline) {
                std::string what = s.frame ? "no frame newer than " + std::to_string(s.frame->seq) : "no frame yet";
                send_error(it->envelope, kErrorTimeout, what + " within " + std::to_string(it->request.wait_ms) + " ms",
                           s.frame ? s.frame->seq : 0);
                it = pending.erase(it);
            } else {
                ++it;
            }
        }
    }

    void publish(const Snapshot& s) {
        if (s.error) {
            const Clock::time_point now = Clock::now();
            if (*s.error != last_error_published || now - last_error_time >= kErrorRepublish) {
                send_error({}, kErrorSourceLost, *s.error, s.frame ? s.frame->seq : 0);
                last_error_published = *s.error;
                last_error_time = now;
            }
            return;
        }
        last_error_published.clear();
        if (!s.frame || s.frame->seq == last_published) return;
        last_published = s.frame->seq;
        auto encoded = encode(s.frame, options.publish_encoding, options.publish_quality, s.source);
        send({}, encoded->header, encoded.get());
        ++frames_sent;
    }

    int poll_timeout_ms() const {
        auto wait = std::chrono::milliseconds(options.publish ? 250 : 100);
        const Clock::time_point now = Clock::now();
        for (const Pending& p : pending)
            wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(p.deadline - now) +
                                      std::chrono::milliseconds(1));
        return static_cast<int>(std::max<int64_t>(0, wait.count()));
    }

    void serve_loop() {
        while (!stopping) {
            zmq::pollitem_t items[2] = {{nullptr, event_fd, ZMQ_POLLIN, 0},
                                        {static_cast<void*>(*socket), 0, ZMQ_POLLIN, 0}};
            try {
                zmq::poll(items, options.publish ? 1 : 2, std::chrono::milliseconds(poll_timeout_ms()));
                if (items[0].revents & ZMQ_POLLIN) {
                    uint64_t count;
                    ssize_t n = ::read(event_fd, &count, sizeof(count));
                    (void)n;
                }
                if (stopping) break;
                if (!options.publish && (items[1].revents & ZMQ_POLLIN)) drain_requests();
                Snapshot s = snapshot();
                if (options.publish)
                    publish(s);
                else
                    service_pending(s);
            } catch (const zmq::error_t& e) {
                if (e.num() == ETERM) break;
                base::log_warning(std::string("camera server: ") + e.what());
            }
        }
    }
};

CameraServer::CameraServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CameraServer::~CameraServer() { stop(); }
const std::string& CameraServer::endpoint() const { return impl_->endpoint; }

Result<std::unique_ptr<CameraServer>> CameraServer::start(const CameraServerOptions& options, SourceFactory factory) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->factory = std::move(factory);
    EDGEINFER_RETURN_IF_ERROR(impl->bind());
    Impl* raw = impl.get();
    raw->capture_thread = std::thread([raw] { raw->capture_loop(); });
    raw->serve_thread = std::thread([raw] { raw->serve_loop(); });
    if (raw->zap) raw->zap_thread = std::thread([raw] { raw->zap_loop(); });
    return std::unique_ptr<CameraServer>(new CameraServer(std::move(impl)));
}

void CameraServer::stop() {
    Impl& s = *impl_;
    if (s.stopped.exchange(true)) return;
    {
        std::lock_guard<std::mutex> lock(s.mu);
        s.stopping = true;
    }
    s.wake.notify_all();
    if (s.event_fd >= 0) s.notify();
    if (s.capture_thread.joinable()) s.capture_thread.join();
    if (s.serve_thread.joinable()) s.serve_thread.join();
    if (s.zap_thread.joinable()) s.zap_thread.join();
    s.socket.reset();
    s.zap.reset();
    s.context.close();
    if (s.event_fd >= 0) ::close(s.event_fd);
    s.event_fd = -1;
    if (!s.ipc_path.empty()) {
        struct stat st {};
        if (::lstat(s.ipc_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(s.ipc_path.c_str());
    }
}

CameraServerStats CameraServer::stats() const {
    const Impl& s = *impl_;
    CameraServerStats out;
    {
        std::lock_guard<std::mutex> lock(s.mu);
        out.captured = s.next_seq;
    }
    out.requests = s.requests;
    out.frames_sent = s.frames_sent;
    out.errors_sent = s.errors_sent;
    out.source_failures = s.source_failures;
    out.clients_refused = s.clients_refused;
    return out;
}

}  // namespace edgeinfer::io
