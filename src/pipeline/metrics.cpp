// Prometheus text for pipeline metrics and a one-thread HTTP server for GET /metrics.
#include "pipeline/metrics.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace edgeinfer::pipeline {
namespace {

std::string label_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void header(std::ostringstream& o, const char* name, const char* type, const char* help) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

}  // namespace

void ElementMetrics::record(uint64_t latency_us) { record_batch(1, latency_us); }

void ElementMetrics::record_batch(size_t n, uint64_t latency_us) {
    frames += n;
    latency_us_sum += latency_us;
    uint64_t prev = latency_us_max.load();
    while (latency_us > prev && !latency_us_max.compare_exchange_weak(prev, latency_us)) {
    }
    if (n < batch_counts.size()) batch_counts[n]++;
}

uint64_t ElementMetrics::batches() const {
    uint64_t all = 0;
    for (const auto& c : batch_counts) all += c.load();
    return all;
}

std::string Metrics::prometheus() const {
    std::ostringstream o;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto el = [](const ElementMetrics& e) { return "{element=\"" + label_escape(e.name) + "\"}"; };
    header(o, "edgeinfer_pipeline_element_frames_total", "counter", "Frames processed by each element.");
    for (const auto& e : elements) o << "edgeinfer_pipeline_element_frames_total" << el(*e) << " " << e->frames << "\n";
    header(o, "edgeinfer_pipeline_element_errors_total", "counter", "Frames on which an element reported an error.");
    for (const auto& e : elements) o << "edgeinfer_pipeline_element_errors_total" << el(*e) << " " << e->errors << "\n";
    header(o, "edgeinfer_pipeline_element_latency_seconds", "summary", "Time each element spends on a frame.");
    for (const auto& e : elements) {
        o << "edgeinfer_pipeline_element_latency_seconds_sum" << el(*e) << " " << double(e->latency_us_sum) / 1e6
          << "\n";
        o << "edgeinfer_pipeline_element_latency_seconds_count" << el(*e) << " " << e->frames << "\n";
    }
    header(o, "edgeinfer_pipeline_element_fps", "gauge", "Frames per second through each element since the start.");
    for (const auto& e : elements)
        o << "edgeinfer_pipeline_element_fps" << el(*e) << " " << (elapsed > 0 ? double(e->frames) / elapsed : 0.0)
          << "\n";
    header(o, "edgeinfer_pipeline_queue_depth", "gauge", "Frames waiting in front of each element now.");
    for (const auto& e : elements) o << "edgeinfer_pipeline_queue_depth" << el(*e) << " " << e->queue_depth << "\n";
    header(o, "edgeinfer_pipeline_queue_depth_peak", "gauge",
           "The most frames that ever waited in front of each element at once.");
    for (const auto& e : elements) o << "edgeinfer_pipeline_queue_depth_peak" << el(*e) << " " << e->queue_peak << "\n";
    header(o, "edgeinfer_pipeline_queue_capacity", "gauge", "Capacity of the queue in front of each element.");
    for (const auto& e : elements)
        o << "edgeinfer_pipeline_queue_capacity" << el(*e) << " " << e->queue_capacity << "\n";
    header(o, "edgeinfer_pipeline_element_batches_total", "counter",
           "Calls of each batching element by the number of frames run at once (size).");
    for (const auto& e : elements) {
        if (e->max_batch <= 1) continue;
        for (size_t n = 1; n < e->batch_counts.size(); ++n)
            o << "edgeinfer_pipeline_element_batches_total{element=\"" << label_escape(e->name) << "\",size=\"" << n
              << "\"} " << e->batch_counts[n] << "\n";
    }
    auto src = [](const SourceMetrics& s) { return "{source=\"" + label_escape(s.id) + "\"}"; };
    header(o, "edgeinfer_pipeline_source_frames_total", "counter", "Frames read from each source.");
    for (const auto& s : sources) o << "edgeinfer_pipeline_source_frames_total" << src(*s) << " " << s->frames << "\n";
    header(o, "edgeinfer_pipeline_source_dropped_frames_total", "counter",
           "Frames of live sources dropped because the pipeline was behind.");
    for (const auto& s : sources)
        o << "edgeinfer_pipeline_source_dropped_frames_total" << src(*s) << " " << s->dropped << "\n";
    header(o, "edgeinfer_pipeline_source_errors_total", "counter", "Read errors of each source.");
    for (const auto& s : sources) o << "edgeinfer_pipeline_source_errors_total" << src(*s) << " " << s->errors << "\n";
    header(o, "edgeinfer_pipeline_events_total", "counter", "Events produced by action rules.");
    o << "edgeinfer_pipeline_events_total " << events << "\n";
    header(o, "edgeinfer_pipeline_clips_total", "counter", "Clips recorded.");
    o << "edgeinfer_pipeline_clips_total " << clips << "\n";
    header(o, "edgeinfer_pipeline_recording_errors_total", "counter", "Recordings that failed or were cut short.");
    o << "edgeinfer_pipeline_recording_errors_total " << recording_errors << "\n";
    header(o, "edgeinfer_pipeline_clips_lost_total", "counter", "Clips that failed to start or were cut short.");
    o << "edgeinfer_pipeline_clips_lost_total " << clips_lost << "\n";
    header(o, "edgeinfer_pipeline_events_refused_total", "counter", "Events the spool could not store (disk full).");
    o << "edgeinfer_pipeline_events_refused_total " << events_refused << "\n";
    if (sinks) {
        const auto all = sinks();
        auto sk = [](const SinkMetrics& s) { return "{sink=\"" + label_escape(s.id) + "\"}"; };
        header(o, "edgeinfer_pipeline_sink_delivered_total", "counter", "Events each sink acknowledged.");
        for (const auto& s : all) o << "edgeinfer_pipeline_sink_delivered_total" << sk(s) << " " << s.delivered << "\n";
        header(o, "edgeinfer_pipeline_sink_failed_attempts_total", "counter", "Failed delivery attempts (retried).");
        for (const auto& s : all)
            o << "edgeinfer_pipeline_sink_failed_attempts_total" << sk(s) << " " << s.failed_attempts << "\n";
        header(o, "edgeinfer_pipeline_sink_pending", "gauge", "Events queued on disk for each sink.");
        for (const auto& s : all) o << "edgeinfer_pipeline_sink_pending" << sk(s) << " " << s.pending << "\n";
    }
    return o.str();
}

std::vector<std::string> Metrics::summary() const {
    std::vector<std::string> lines;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char buf[256];
    for (const auto& e : elements) {
        const double mean_ms = e->frames ? double(e->latency_us_sum) / double(e->frames) / 1000.0 : 0.0;
        std::snprintf(buf, sizeof(buf),
                      "element %-16s %8llu frames %8.1f fps  latency mean %7.2f ms max %7.2f ms  errors %llu  "
                      "queue peak %zu/%zu now %zu",
                      e->name.c_str(), static_cast<unsigned long long>(e->frames.load()),
                      elapsed > 0 ? double(e->frames) / elapsed : 0.0, mean_ms, double(e->latency_us_max) / 1000.0,
                      static_cast<unsigned long long>(e->errors.load()), e->queue_peak.load(), e->queue_capacity,
                      e->queue_depth.load());
        std::string line = buf;
        if (e->max_batch > 1) {
            const uint64_t calls = e->batches();
            size_t largest = 0;
            for (size_t n = 1; n < e->batch_counts.size(); ++n)
                if (e->batch_counts[n] > 0) largest = n;
            std::snprintf(buf, sizeof(buf), "  batch mean %.2f max %zu of %zu",
                          calls ? double(e->frames) / double(calls) : 0.0, largest, e->max_batch);
            line += buf;
        }
        lines.push_back(line);
    }
    for (const auto& s : sources) {
        std::snprintf(buf, sizeof(buf), "source  %-16s %8llu frames read, %llu dropped (%s), %llu errors",
                      s->id.c_str(), static_cast<unsigned long long>(s->frames.load()),
                      static_cast<unsigned long long>(s->dropped.load()), s->live ? "live" : "file: never drops",
                      static_cast<unsigned long long>(s->errors.load()));
        lines.push_back(buf);
    }
    if (sinks)
        for (const auto& s : sinks()) {
            std::snprintf(buf, sizeof(buf), "sink    %-16s %8llu events delivered, %llu pending, %llu failed attempts",
                          s.id.c_str(), static_cast<unsigned long long>(s.delivered),
                          static_cast<unsigned long long>(s.pending),
                          static_cast<unsigned long long>(s.failed_attempts));
            lines.push_back(buf);
        }
    // Data loss is always said, never only logged.
    if (clips_lost > 0)
        lines.push_back("recording: " + std::to_string(clips_lost.load()) +
                        " clip(s) lost (not started or cut short: free space below min_free_mb, or write errors)");
    if (events_refused > 0)
        lines.push_back("events: " + std::to_string(events_refused.load()) +
                        " refused, the spool could not store them (disk full?); queued events were kept");
    if (incomplete_clips_removed > 0)
        lines.push_back("recording: " + std::to_string(incomplete_clips_removed.load()) +
                        " incomplete clip(s) of an earlier, killed run removed");
    return lines;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(int port, std::function<std::string()> render,
                                                            const std::string& host) {
    std::unique_ptr<MetricsServer> s(new MetricsServer());
    s->render_ = std::move(render);
    s->fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd_ < 0) return io_error(std::string("metrics: socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(s->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) return invalid_argument("metrics: bad host " + host);
    if (::bind(s->fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(s->fd_, 8) != 0) {
        const std::string why = std::strerror(errno);
        ::close(s->fd_);
        s->fd_ = -1;
        return io_error("metrics: cannot listen on " + host + ":" + std::to_string(port) + ": " + why);
    }
    socklen_t len = sizeof(a);
    ::getsockname(s->fd_, reinterpret_cast<sockaddr*>(&a), &len);
    s->port_ = ntohs(a.sin_port);
    s->thread_ = std::thread([p = s.get()] { p->serve(); });
    return s;
}

MetricsServer::~MetricsServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
}

void MetricsServer::serve() {
    while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        timeval tv{2, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        std::string request;
        char buf[2048];
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
            const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
            if (n <= 0) break;
            request.append(buf, size_t(n));
        }
        const bool ok = request.rfind("GET /metrics ", 0) == 0 || request.rfind("GET /metrics?", 0) == 0;
        const std::string body = ok ? render_() : "not found: try /metrics\n";
        const std::string reply =
            std::string(ok ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n") +
            "Content-Type: text/plain; version=0.0.4\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + body;
        size_t sent = 0;
        while (sent < reply.size()) {
            const ssize_t n = ::send(c, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += size_t(n);
        }
        ::close(c);
    }
}

}  // namespace edgeinfer::pipeline
