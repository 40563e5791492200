// The camera-server client: lazy-pirate request/reply (a new socket after each timeout) or a
// SUB socket for --publish servers; the FrameSource behind tcp:// and ipc:// DATASPECs.
#include "io/camera_client.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <optional>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "io/curve.hpp"
#include "io/image_header.hpp"
#include "io/reconnect.hpp"

namespace edgeinfer::io {
namespace {

bool parse_int(std::string_view text, int64_t lo, int64_t hi, int& out) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi) return false;
    out = static_cast<int>(v);
    return true;
}

Status check_endpoint(const std::string& endpoint) {
    if (endpoint.rfind("ipc://", 0) == 0) {
        if (endpoint.size() == 6)
            return invalid_argument("'" + endpoint + "': ipc:// needs a socket path, e.g. ipc:///tmp/camera");
        return Status::ok();
    }
    if (endpoint.rfind("tcp://", 0) != 0)
        return invalid_argument("'" + endpoint + "': expected tcp://HOST:PORT or ipc://PATH");
    auto colon = endpoint.rfind(':');
    int port = 0;
    if (colon <= 6 || !parse_int(std::string_view(endpoint).substr(colon + 1), 1, 65535, port))
        return invalid_argument("'" + endpoint +
                                "': expected tcp://HOST:PORT with a port in 1..65535, e.g. tcp://127.0.0.1:8089");
    return Status::ok();
}

Status apply_query_item(std::string_view item, CameraClientOptions& o, const std::string& url) {
    auto eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    auto bad = [&](std::string_view expected) {
        return invalid_argument("camera URL '" + url + "': '" + std::string(item) + "': " + std::string(expected));
    };
    if (key == "encoding") {
        Result<Encoding> e = parse_encoding(value);
        if (!e.is_ok()) return bad("encoding must be bgr or jpeg");
        o.encoding = e.value();
    } else if (key == "quality") {
        if (!parse_int(value, 1, 100, o.quality)) return bad("quality must be 1..100");
    } else if (key == "mode") {
        if (value == "sub" || value == "subscribe" || value == "publish")
            o.subscribe = true;
        else if (value == "req" || value == "request")
            o.subscribe = false;
        else
            return bad("mode must be req or sub");
    } else if (key == "timeout_ms") {
        if (!parse_int(value, 1, 600000, o.timeout_ms)) return bad("timeout_ms must be 1..600000");
    } else if (key == "retries") {
        if (!parse_int(value, 0, 100, o.retries)) return bad("retries must be 0..100");
    } else if (key == "lost_after_ms") {
        if (!parse_int(value, 0, 3600000, o.lost_after_ms)) return bad("lost_after_ms must be 0..3600000");
    } else if (key == "max_pixels") {
        int64_t v = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || v < 1)
            return bad("max_pixels must be a positive pixel count");
        o.max_pixels = v;
    } else if (key == "curve_keys") {
        if (value.empty()) return bad("curve_keys needs the folder of `edgeinfer camera-server --generate-keys`");
        o.curve_keys = std::string(value);
    } else if (key == "fresh") {
        int f = 0;
        if (!parse_int(value, 0, 1, f)) return bad("fresh must be 0 or 1");
        o.fresh = f == 1;
    } else {
        return bad(
            "unknown option (known: encoding, quality, mode, timeout_ms, retries, lost_after_ms, fresh, max_pixels, "
            "curve_keys)");
    }
    return Status::ok();
}

}  // namespace

Result<CameraUrl> parse_camera_url(std::string_view url) {
    CameraUrl out;
    auto q = url.find('?');
    out.endpoint = std::string(url.substr(0, q));
    EDGEINFER_RETURN_IF_ERROR(check_endpoint(out.endpoint));
    if (q == std::string_view::npos) return out;
    std::string_view query = url.substr(q + 1);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        if (!item.empty()) EDGEINFER_RETURN_IF_ERROR(apply_query_item(item, out.options, std::string(url)));
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    return out;
}

struct CameraClient::Impl {
    std::string endpoint;
    CameraClientOptions options;
    zmq::context_t context{1};
    std::optional<zmq::socket_t> socket;
    std::optional<zmq::socket_t> monitor;  // PAIR receiving `socket`'s connect and disconnect events
    std::optional<uint64_t> last_seq;
    uint64_t sequence_resets = 0;
    // From the monitor: whether the socket reached the server, and whether this attempt's connection
    // dropped after reaching it while a reply was awaited. ZeroMQ drops a connection whose incoming
    // message part is over ZMQ_MAXMSGSIZE and says nothing else (4.3.4 does not even reconnect).
    bool connected = false;
    bool dropped = false;
    std::optional<CurveClientKeys> curve;  // loaded from options.curve_keys
    // The last failed security handshake: the monitor's event and its value (a protocol error or ZAP status).
    uint16_t handshake_event = 0;
    int32_t handshake_value = 0;

    ~Impl() { close_socket(); }

    void close_socket() {
        if (socket && monitor) (void)zmq_socket_monitor(socket->handle(), nullptr, 0);
        monitor.reset();
        socket.reset();
    }

    Status open_socket() {
        try {
            socket.emplace(context, options.subscribe ? zmq::socket_type::sub : zmq::socket_type::req);
            socket->set(zmq::sockopt::linger, 0);
            socket->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxReplyPartBytes));
            static std::atomic<uint64_t> counter{0};
            const std::string address = "inproc://edgeinfer-camera-client-" + std::to_string(counter++);
            if (curve) {
                socket->set(zmq::sockopt::curve_serverkey, curve->server_public_key);
                socket->set(zmq::sockopt::curve_publickey, curve->public_key);
                socket->set(zmq::sockopt::curve_secretkey, curve->secret_key);
            }
            constexpr int kEvents = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
            if (zmq_socket_monitor(socket->handle(), address.c_str(), kEvents) == 0) {
                monitor.emplace(context, zmq::socket_type::pair);
                monitor->connect(address);
            }
            connected = false;
            if (options.subscribe) {
                socket->set(zmq::sockopt::rcvhwm, 16);
                socket->set(zmq::sockopt::subscribe, "");
            }
            socket->connect(endpoint);
        } catch (const zmq::error_t& e) {
            close_socket();
            return invalid_argument("camera server '" + endpoint + "': cannot connect: " + e.what());
        }
        return Status::ok();
    }

    // Reads the monitor's pending events into connected / dropped.
    void read_events() {
        while (monitor) {
            zmq::message_t event;
            if (!monitor->recv(event, zmq::recv_flags::dontwait)) return;
            uint16_t id = 0;
            int32_t value = 0;
            if (event.size() >= sizeof(id)) std::memcpy(&id, event.data(), sizeof(id));
            if (event.size() >= sizeof(id) + sizeof(value))
                std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof(id), sizeof(value));
            for (bool more = event.more(); more;) {  // the event's second part: the address
                zmq::message_t rest;
                if (!monitor->recv(rest, zmq::recv_flags::none)) break;
                more = rest.more();
            }
            if (id == ZMQ_EVENT_CONNECTED) connected = true;
            if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) handshake_event = 0;
            if (id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                handshake_event = id;
                handshake_value = value;
            }
            if (id == ZMQ_EVENT_DISCONNECTED) {
                dropped = dropped || connected;
                connected = false;
            }
        }
    }

    // Waits up to timeout_ms for a message; nullopt on timeout.
    Result<std::optional<RemoteFrame>> receive() {
        using Clock = std::chrono::steady_clock;
        const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
        dropped = false;
        try {
            while (true) {
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
                if (left.count() <= 0) break;
                zmq::pollitem_t items[2] = {{static_cast<void*>(*socket), 0, ZMQ_POLLIN, 0},
                                            {monitor ? static_cast<void*>(*monitor) : nullptr, 0, ZMQ_POLLIN, 0}};
                zmq::poll(items, monitor ? 2 : 1, left);
                if (items[1].revents & ZMQ_POLLIN) read_events();
                if (!(items[0].revents & ZMQ_POLLIN)) continue;
                std::vector<zmq::message_t> parts;
                if (!zmq::recv_multipart(*socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) continue;
                Result<RemoteFrame> frame = decode(parts);
                if (!frame.is_ok()) return frame.status();
                return std::optional<RemoteFrame>(std::move(frame.value()));
            }
            read_events();
            return std::optional<RemoteFrame>();
        } catch (const zmq::error_t& e) {
            return io_error("camera server '" + endpoint + "': " + e.what());
        }
    }

    Result<RemoteFrame> decode(const std::vector<zmq::message_t>& parts) {
        auto bad = [&](const Status& s) {
            return Status(s.code(), "camera server '" + endpoint + "': " + s.message());
        };
        if (parts.size() != 2)
            return io_error("camera server '" + endpoint + "': bad reply: " + std::to_string(parts.size()) +
                            " parts, expected 2 (header, payload)");
        RemoteFrame frame;
        frame.wire_bytes = parts[0].size() + parts[1].size();
        Result<ReplyHeader> header = decode_reply_header(parts[0].to_string_view());
        if (!header.is_ok()) return bad(header.status());
        frame.header = std::move(header.value());
        if (!frame.header.ok) return frame;
        Result<cv::Mat> image = decode_payload(frame.header, parts[1].data(), parts[1].size(), options.max_pixels);
        if (!image.is_ok()) return bad(image.status());
        frame.image = std::move(image.value());
        if (frame.header.encoding == Encoding::kJpeg &&
            jpeg_truncated(static_cast<const uint8_t*>(parts[1].data()), parts[1].size())) {
            frame.truncated = true;
            base::log_warning("camera server '" + endpoint + "': frame " + std::to_string(frame.header.seq) +
                              " is a truncated JPEG (no end-of-image marker); decoded with its missing rows filled in");
        }
        if (last_seq && frame.header.seq < *last_seq) {
            ++sequence_resets;
            base::log_warning("camera server '" + endpoint + "': sequence number went back from " +
                              std::to_string(*last_seq) + " to " + std::to_string(frame.header.seq) +
                              " (the server restarted; its frames are counted anew)");
        }
        last_seq = frame.header.seq;
        return frame;
    }

    Status reply_too_large(int attempts) const {
        return io_error(
            "camera server '" + endpoint + "': reply too large: the server took the " +
            (options.subscribe ? "subscription" : "request") +
            " and the connection dropped as its message arrived, in " + "each of " + std::to_string(attempts) +
            " attempts" + " (ZeroMQ drops a message part over this client's limit of " +
            std::to_string(kMaxReplyPartBytes) +
            " bytes: a 256 MiB payload or a 64 KiB header; is the server sending frames larger than that?)");
    }

    // Why the server would not talk to this client, when a security handshake failed.
    Status handshake_refused() const {
        const std::string where = "camera server '" + endpoint + "': ";
        if (handshake_event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            return invalid_argument(where + "the server refused this client's CURVE key (status " +
                                    std::to_string(handshake_value) + "): add the key in " + options.curve_keys +
                                    "/client.pub to the server's authorized_clients");
        if (curve)
            return invalid_argument(where +
                                    "the security handshake failed: the server does not use CURVE, or "
                                    "not with the key in " +
                                    options.curve_keys +
                                    "/server.pub (drop curve_keys, or take the server's key folder)");
        return invalid_argument(where +
                                "the server refused the connection's security handshake: it requires CURVE keys "
                                "(?curve_keys=DIR or --curve-keys DIR with the folder of `edgeinfer camera-server "
                                "--generate-keys`; docs/security.md)");
    }

    Status nobody_answers(int attempts) const {
        return Status(StatusCode::kSourceLost,
                      "camera server '" + endpoint + "': no " + (options.subscribe ? "frame published" : "reply") +
                          " in " + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") + " of " +
                          std::to_string(options.timeout_ms) + " ms (is `edgeinfer camera-server" +
                          (options.subscribe ? " --publish" : "") + "` running at that address?)");
    }
};

CameraClient::CameraClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CameraClient::~CameraClient() = default;
const std::string& CameraClient::endpoint() const { return impl_->endpoint; }
uint64_t CameraClient::sequence_resets() const { return impl_->sequence_resets; }

Result<std::unique_ptr<CameraClient>> CameraClient::connect(std::string endpoint, const CameraClientOptions& options) {
    EDGEINFER_RETURN_IF_ERROR(check_endpoint(endpoint));
    auto impl = std::make_unique<Impl>();
    impl->endpoint = std::move(endpoint);
    impl->options = options;
    if (!options.curve_keys.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(CurveClientKeys keys, load_curve_client_keys(options.curve_keys));
        impl->curve = std::move(keys);
    }
    EDGEINFER_RETURN_IF_ERROR(impl->open_socket());
    return std::unique_ptr<CameraClient>(new CameraClient(std::move(impl)));
}

Result<RemoteFrame> CameraClient::fetch() {
    Impl& s = *impl_;
    const int attempts = 1 + s.options.retries;
    FrameRequest request;
    request.encoding = s.options.encoding;
    request.quality = s.options.quality;
    if (s.options.fresh && s.last_seq) {
        request.after = s.last_seq;
        request.wait_ms = std::clamp(s.options.timeout_ms / 2, 0, 1000);
    }
    const std::string body = encode_request(request);
    s.handshake_event = 0;
    int dropped_attempts = 0;
    Status malformed = Status::ok();  // the last attempt's malformed reply
    for (int attempt = 0; attempt < attempts; ++attempt) {
        if (!s.socket) EDGEINFER_RETURN_IF_ERROR(s.open_socket());
        if (!s.options.subscribe) {
            try {
                if (!s.socket->send(zmq::buffer(body), zmq::send_flags::dontwait)) {
                    s.close_socket();
                    continue;
                }
            } catch (const zmq::error_t& e) {
                return io_error("camera server '" + s.endpoint + "': send failed: " + e.what());
            }
        }
        Result<std::optional<RemoteFrame>> received = s.receive();
        if (!received.is_ok() && received.status().code() == StatusCode::kIoError) {
            // A malformed reply: the policy for no reply applies (a fresh connection, another attempt).
            malformed = received.status();
            if (attempt + 1 < attempts)
                base::log_warning(malformed.message() + " (attempt " + std::to_string(attempt + 1) + " of " +
                                  std::to_string(attempts) + "; retrying on a new connection)");
            if (!s.options.subscribe) s.close_socket();
            continue;
        }
        if (!received.is_ok()) return received.status();  // over the pixel limit: retrying will not help
        malformed = Status::ok();
        std::optional<RemoteFrame>& reply = received.value();
        if (reply) return std::move(*reply);
        base::log_debug("camera server '" + s.endpoint + "': no answer within " + std::to_string(s.options.timeout_ms) +
                        " ms (attempt " + std::to_string(attempt + 1) + " of " + std::to_string(attempts) + ")");
        if (s.dropped) ++dropped_attempts;
        // Request/reply: a REQ socket that lost its reply is stuck; start a fresh connection.
        if (!s.options.subscribe) s.close_socket();
    }
    // Every attempt (two at least) reached the server and was dropped mid-reply: a server that had
    // stopped would refuse the later connections instead. One dropped attempt is also what a server
    // killed mid-reply looks like, so it stays "nobody answers" (kSourceLost: the reconnect policy).
    if (s.handshake_event != 0) return s.handshake_refused();
    if (attempts >= 2 && dropped_attempts == attempts) return s.reply_too_large(attempts);
    if (!malformed.is_ok())
        return Status(StatusCode::kSourceLost, malformed.message() + " (still after " + std::to_string(attempts) +
                                                   " attempts, each on a new connection)");
    return s.nobody_answers(attempts);
}

namespace {

class CameraSource final : public FrameSource {
  public:
    CameraSource(std::unique_ptr<CameraClient> client, CameraClientOptions options)
        : client_(std::move(client)), options_(options) {}

    Result<io::Frame> next() override {
        using Clock = std::chrono::steady_clock;
        const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options_.lost_after_ms);
        std::chrono::milliseconds backoff = kErrorBackoffFirst;
        bool warned = false;
        while (true) {
            EDGEINFER_ASSIGN_OR_RETURN(RemoteFrame reply, client_->fetch());
            const ReplyHeader& h = reply.header;
            if (h.ok) {
                if (reply.truncated) ++truncated_;
                io::Frame frame;
                frame.image = std::move(reply.image);
                frame.seq = h.seq;
                frame.timestamp_us = h.timestamp_us;
                frame.source_id = client_->endpoint();
                return frame;
            }
            std::string what = "camera server '" + client_->endpoint() + "' reports " + h.error + ": " + h.message;
            if (h.error == kErrorBadRequest || h.error == kErrorUnsupportedEncoding) return invalid_argument(what);
            if (Clock::now() + backoff > deadline)
                return Status(StatusCode::kSourceLost,
                              what + " (still after " + std::to_string(options_.lost_after_ms) + " ms of retries)");
            if (!warned) base::log_warning(what + "; retrying");
            warned = true;
            std::this_thread::sleep_for(backoff);
            backoff = std::min(backoff * 2, kErrorBackoffMax);
        }
    }

    std::string describe() const override {
        return "camera server " + client_->endpoint() + " (" + (options_.subscribe ? "subscribe" : "request/reply") +
               ", " + std::string(encoding_name(options_.encoding)) + ")";
    }

    uint64_t truncated_frames() const override { return truncated_; }

  private:
    std::unique_ptr<CameraClient> client_;
    CameraClientOptions options_;
    uint64_t truncated_ = 0;
};

}  // namespace

Result<std::unique_ptr<FrameSource>> open_camera_source(std::string_view url, int64_t max_pixels) {
    EDGEINFER_ASSIGN_OR_RETURN(CameraUrl parsed, parse_camera_url(url));
    if (parsed.options.max_pixels == 0) parsed.options.max_pixels = max_pixels;
    EDGEINFER_ASSIGN_OR_RETURN(std::unique_ptr<CameraClient> client,
                               CameraClient::connect(parsed.endpoint, parsed.options));
    return std::unique_ptr<FrameSource>(std::make_unique<CameraSource>(std::move(client), parsed.options));
}

}  // namespace edgeinfer::io
