// Event sinks (JSON-lines file, libcurl webhook, libmosquitto MQTT) and the retrying delivery thread.
#include "pipeline/event_sinks.hpp"

#include <curl/curl.h>
#include <mosquitto.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <set>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "pipeline/line_file.hpp"

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;

// One event per line, fsync'd before deliver() returns OK; a line that cannot be written whole (disk
// full) is cut back off the file and retried later, so the file never holds half an event.
class FileEventSink final : public EventSink {
  public:
    explicit FileEventSink(fs::path path) : path_(std::move(path)) {}
    Status deliver(const std::string& event_json) override {
        if (!file_) {
            std::error_code ec;
            if (path_.has_parent_path()) fs::create_directories(path_.parent_path(), ec);
            LineFileOptions o;
            o.fsync = true;
            auto f = LineFile::open(path_, o);
            if (!f.is_ok()) return io_error(path_.string() + ": cannot open events file: " + f.status().message());
            file_ = std::move(f.value());
        }
        Status s = file_->append(event_json);
        if (!s.is_ok()) file_.reset();
        return s;
    }
    std::string describe() const override { return "file " + path_.string(); }

  private:
    fs::path path_;
    std::unique_ptr<LineFile> file_;
};

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }

class WebhookSink final : public EventSink {
  public:
    explicit WebhookSink(const SinkConfig& c) : config_(c) {
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
        curl_ = curl_easy_init();
        headers_ = curl_slist_append(headers_, "Content-Type: application/json");
        for (const auto& [k, v] : c.headers) headers_ = curl_slist_append(headers_, (k + ": " + v).c_str());
    }
    ~WebhookSink() override {
        curl_slist_free_all(headers_);
        if (curl_) curl_easy_cleanup(curl_);
    }
    Status deliver(const std::string& event_json) override {
        if (!curl_) return internal_error("webhook: curl_easy_init failed");
        curl_easy_setopt(curl_, CURLOPT_URL, config_.url.c_str());
        curl_easy_setopt(curl_, CURLOPT_POST, 1L);
        curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, event_json.data());
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, long(event_json.size()));
        curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, long(config_.timeout_seconds * 1000));
        curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, discard_body);
        const CURLcode rc = curl_easy_perform(curl_);
        if (rc != CURLE_OK) return io_error("webhook " + config_.url + ": " + curl_easy_strerror(rc));
        long code = 0;
        curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
        if (code < 200 || code >= 300)
            return io_error("webhook " + config_.url + " answered HTTP " + std::to_string(code));
        return Status::ok();
    }
    std::string describe() const override { return "webhook " + config_.url; }

  private:
    SinkConfig config_;
    CURL* curl_ = nullptr;
    curl_slist* headers_ = nullptr;
};

// Publishes with libmosquitto's own network thread, which reconnects by itself; deliver() waits for
// the broker's acknowledgement of that message.
class MqttSink final : public EventSink {
  public:
    explicit MqttSink(const SinkConfig& c) : config_(c) {}
    ~MqttSink() override {
        if (!mosq_) return;
        mosquitto_disconnect(mosq_);
        mosquitto_loop_stop(mosq_, false);
        mosquitto_destroy(mosq_);
    }

    Status init() {
        static std::once_flag once;
        std::call_once(once, [] { mosquitto_lib_init(); });
        mosq_ = mosquitto_new(config_.client_id.c_str(), true, this);
        if (!mosq_) return internal_error("mqtt: mosquitto_new failed: " + std::string(std::strerror(errno)));
        mosquitto_connect_callback_set(
            mosq_, [](mosquitto*, void* self, int rc) { static_cast<MqttSink*>(self)->set_connected(rc == 0); });
        mosquitto_disconnect_callback_set(
            mosq_, [](mosquitto*, void* self, int) { static_cast<MqttSink*>(self)->set_connected(false); });
        mosquitto_publish_callback_set(
            mosq_, [](mosquitto*, void* self, int mid) { static_cast<MqttSink*>(self)->on_publish(mid); });
        mosquitto_reconnect_delay_set(mosq_, 1, 4, true);
        // A broker that is down now is not an error: the network thread keeps trying.
        const int rc = mosquitto_connect_async(mosq_, config_.host.c_str(), config_.port, 10);
        if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO && rc != MOSQ_ERR_NO_CONN)
            return invalid_argument(describe() + ": " + mosquitto_strerror(rc));
        const int lrc = mosquitto_loop_start(mosq_);
        if (lrc != MOSQ_ERR_SUCCESS)
            return internal_error("mqtt: cannot start network thread: " + std::string(mosquitto_strerror(lrc)));
        return Status::ok();
    }

    Status deliver(const std::string& event_json) override {
        const auto timeout = std::chrono::milliseconds(int64_t(config_.timeout_seconds * 1000));
        std::unique_lock<std::mutex> lock(mu_);
        if (!cv_.wait_for(lock, timeout, [&] { return connected_; })) {
            // libmosquitto's network thread does not retry a first connection that failed at once
            // (broker down at start); ask it again, at most once a second.
            const auto now = std::chrono::steady_clock::now();
            if (now - last_reconnect_ >= std::chrono::seconds(1)) {
                last_reconnect_ = now;
                mosquitto_reconnect_async(mosq_);
            }
            return io_error(describe() + ": not connected to the broker");
        }
        lock.unlock();
        int mid = 0;
        const int rc = mosquitto_publish(mosq_, &mid, config_.topic.c_str(), int(event_json.size()), event_json.data(),
                                         config_.qos, false);
        if (rc != MOSQ_ERR_SUCCESS) return io_error(describe() + ": publish failed: " + mosquitto_strerror(rc));
        if (config_.qos == 0) return Status::ok();
        lock.lock();
        const bool acked = cv_.wait_for(lock, timeout, [&] { return acked_.count(mid) > 0; });
        acked_.erase(mid);
        if (!acked) return io_error(describe() + ": no acknowledgement from the broker");
        return Status::ok();
    }

    std::string describe() const override {
        return "mqtt://" + config_.host + ":" + std::to_string(config_.port) + "/" + config_.topic;
    }

  private:
    void set_connected(bool c) {
        std::lock_guard<std::mutex> lock(mu_);
        connected_ = c;
        cv_.notify_all();
    }
    void on_publish(int mid) {
        std::lock_guard<std::mutex> lock(mu_);
        acked_.insert(mid);
        if (acked_.size() > 10000) acked_.erase(acked_.begin());  // late acks of attempts given up on
        cv_.notify_all();
    }

    SinkConfig config_;
    mosquitto* mosq_ = nullptr;
    std::mutex mu_;
    std::condition_variable cv_;
    bool connected_ = false;
    std::set<int> acked_;
    std::chrono::steady_clock::time_point last_reconnect_{};
};

}  // namespace

Result<std::unique_ptr<EventSink>> make_event_sink(const SinkConfig& config) {
    switch (config.type) {
        case SinkType::kFile:
            return std::unique_ptr<EventSink>(new FileEventSink(config.path));
        case SinkType::kWebhook:
            return std::unique_ptr<EventSink>(new WebhookSink(config));
        case SinkType::kMqtt: {
            auto sink = std::make_unique<MqttSink>(config);
            EDGEINFER_RETURN_IF_ERROR(sink->init());
            return std::unique_ptr<EventSink>(std::move(sink));
        }
        default:
            return invalid_argument("sink " + config.id + " (" + std::string(sink_type_name(config.type)) +
                                    ") does not take events");
    }
}

EventDelivery::EventDelivery(SinkConfig config, std::unique_ptr<EventSink> sink, std::unique_ptr<DiskQueue> queue)
    : config_(std::move(config)), sink_(std::move(sink)), queue_(std::move(queue)) {}

Result<std::unique_ptr<EventDelivery>> EventDelivery::start(const SinkConfig& config, std::unique_ptr<EventSink> sink,
                                                            const fs::path& spool_root) {
    auto queue = DiskQueue::open(spool_root / config.id);
    if (!queue.is_ok()) return queue.status().with_context("sink " + config.id);
    std::unique_ptr<EventDelivery> d(new EventDelivery(config, std::move(sink), std::move(queue.value())));
    if (d->queue_->recovered() > 0)
        base::log_info("sink " + config.id + ": " + std::to_string(d->queue_->recovered()) +
                       " events from an earlier run are still to be delivered");
    d->thread_ = std::thread([p = d.get()] { p->run(); });
    return d;
}

EventDelivery::~EventDelivery() { stop(); }

void EventDelivery::stop() {
    stopping_ = true;
    queue_->close();
    {
        std::lock_guard<std::mutex> lock(mu_);
        wake_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
}

Status EventDelivery::publish(const std::string& event_json) { return queue_->push(event_json); }

void EventDelivery::run() {
    const auto initial = std::chrono::milliseconds(int64_t(config_.retry_initial_seconds * 1000));
    const auto max_backoff = std::chrono::milliseconds(int64_t(config_.retry_max_seconds * 1000));
    auto backoff = initial;
    bool failing = false;
    while (!stopping_) {
        std::optional<std::string> event = queue_->front(200);
        if (!event) continue;
        const Status s = sink_->deliver(*event);
        if (s.is_ok()) {
            std::lock_guard<std::mutex> lock(mu_);  // stats() sees the ack and the count together
            const Status acked = queue_->ack();
            stats_.delivered++;
            if (!acked.is_ok()) stats_.last_error = acked.to_string();
            if (failing) base::log_info("sink " + config_.id + ": delivering again (" + sink_->describe() + ")");
            failing = false;
            backoff = initial;
            continue;
        }
        std::unique_lock<std::mutex> lock(mu_);
        stats_.failed_attempts++;
        stats_.last_error = s.to_string();
        if (!failing) base::log_warning("sink " + config_.id + ": " + s.to_string() + "; retrying with backoff");
        failing = true;
        wake_.wait_for(lock, backoff, [&] { return stopping_.load(); });
        backoff = std::min(backoff * 2, max_backoff);
    }
}

bool EventDelivery::drain(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (stats().pending > 0) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

DeliveryStats EventDelivery::stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    DeliveryStats s = stats_;
    s.pending = queue_->pending();
    return s;
}

}  // namespace edgeinfer::pipeline
