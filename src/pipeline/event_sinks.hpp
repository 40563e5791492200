// pipeline event sinks: where an event's JSON goes (a JSON-lines file, an HTTP webhook, an MQTT
// broker), and EventDelivery, which feeds one sink from its disk queue with retry and backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "edgeinfer/status.hpp"
#include "pipeline/config.hpp"
#include "pipeline/event_queue.hpp"

namespace edgeinfer::pipeline {

// One destination. deliver() returns OK only once the destination has the event (file flushed,
// HTTP 2xx, MQTT PUBACK for QoS 1 and 2); on failure the caller retries later.
class EventSink {
  public:
    virtual ~EventSink() = default;
    virtual Status deliver(const std::string& event_json) = 0;
    virtual std::string describe() const = 0;
};

// `file`, `webhook` or `mqtt` from a sink config.
Result<std::unique_ptr<EventSink>> make_event_sink(const SinkConfig& config);

struct DeliveryStats {
    uint64_t delivered = 0;
    uint64_t failed_attempts = 0;
    size_t pending = 0;
    std::string last_error;
};

// A thread that takes events from a DiskQueue (spool/<sink id>/) in order and delivers each until the
// sink accepts it, waiting retry_initial_seconds after a failure, doubling up to retry_max_seconds.
// Events queued but not delivered when it stops are delivered by the next EventDelivery on that spool.
class EventDelivery {
  public:
    static Result<std::unique_ptr<EventDelivery>> start(const SinkConfig& config, std::unique_ptr<EventSink> sink,
                                                        const std::filesystem::path& spool_root);
    ~EventDelivery();  // stop()
    EventDelivery(const EventDelivery&) = delete;
    EventDelivery& operator=(const EventDelivery&) = delete;

    // Stores the event on disk (durable when this returns OK) for delivery.
    Status publish(const std::string& event_json);
    // Waits until every queued event is delivered; false on timeout.
    bool drain(std::chrono::milliseconds timeout);
    void stop();
    DeliveryStats stats() const;
    const std::string& sink_id() const { return config_.id; }

  private:
    EventDelivery(SinkConfig config, std::unique_ptr<EventSink> sink, std::unique_ptr<DiskQueue> queue);
    void run();

    SinkConfig config_;
    std::unique_ptr<EventSink> sink_;
    std::unique_ptr<DiskQueue> queue_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mu_;
    std::condition_variable wake_;
    DeliveryStats stats_;
};

}  // namespace edgeinfer::pipeline
