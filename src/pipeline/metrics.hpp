// pipeline metrics: per-element frames, errors, latency and queue depth, per-source frames and
// drops, per-sink event delivery; rendered as Prometheus text and served over HTTP (GET /metrics).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "edgeinfer/status.hpp"

namespace edgeinfer::pipeline {

struct ElementMetrics {
    std::string name;
    std::atomic<uint64_t> frames{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> latency_us_sum{0};  // busy time (a batch counts once)
    std::atomic<uint64_t> latency_us_max{0};  // longest call (a whole batch)
    std::atomic<size_t> queue_depth{0};       // frames waiting in front of the element now
    std::atomic<size_t> queue_peak{0};        // the most frames ever waiting in front of it at once
    size_t queue_capacity = 0;
    // Batching elements (max_batch > 1): batch_counts[n] = calls that got n frames at once (1..max_batch).
    size_t max_batch = 1;
    std::vector<std::atomic<uint64_t>> batch_counts;

    explicit ElementMetrics(std::string element_name = "", size_t element_max_batch = 1)
        : name(std::move(element_name)), max_batch(element_max_batch), batch_counts(element_max_batch + 1) {}
    // One frame that took latency_us.
    void record(uint64_t latency_us);
    // One call on `frames` frames at once that took latency_us in all.
    void record_batch(size_t frames, uint64_t latency_us);
    uint64_t batches() const;  // calls (single frames included)
};

struct SourceMetrics {
    std::string id;
    bool live = false;
    std::atomic<uint64_t> frames{0};   // read from the source
    std::atomic<uint64_t> dropped{0};  // live only: dropped because the pipeline was behind
    std::atomic<uint64_t> errors{0};
    std::atomic<bool> ended{false};
};

struct SinkMetrics {
    std::string id;
    uint64_t delivered = 0, failed_attempts = 0, pending = 0;
};

class Metrics {
  public:
    std::vector<std::unique_ptr<ElementMetrics>> elements;
    std::vector<std::unique_ptr<SourceMetrics>> sources;
    std::function<std::vector<SinkMetrics>()> sinks;  // read when rendering
    std::atomic<uint64_t> events{0};
    std::atomic<uint64_t> clips{0};
    std::atomic<uint64_t> recording_errors{0};
    std::atomic<uint64_t> clips_lost{0};                // recordings that failed to start or were cut short
    std::atomic<uint64_t> events_refused{0};            // events a spool could not store (disk full)
    std::atomic<uint64_t> incomplete_clips_removed{0};  // at create: temporary clips of a killed run
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    // Prometheus text exposition format (version 0.0.4).
    std::string prometheus() const;
    // Lines for the summary printed at exit: per element fps, mean/max latency; drops per source.
    std::vector<std::string> summary() const;
};

// Serves `render()` at http://HOST:PORT/metrics on its own thread (any other path: 404).
class MetricsServer {
  public:
    static Result<std::unique_ptr<MetricsServer>> start(int port, std::function<std::string()> render,
                                                        const std::string& host = "127.0.0.1");
    ~MetricsServer();
    int port() const { return port_; }

  private:
    MetricsServer() = default;
    void serve();
    int fd_ = -1;
    int port_ = 0;
    std::function<std::string()> render_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace edgeinfer::pipeline
