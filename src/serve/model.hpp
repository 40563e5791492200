// serve::ModelConfig (a repository model's config.json) and serve::ModelRunner: one model version's
// sessions behind a bounded queue with dynamic batching along the batch dim (dim 0), split back per request.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edgeinfer/precision.hpp"
#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "serve/image_model.hpp"

namespace edgeinfer::serve {

struct ModelConfig {
    // Rows (dim 0) one batched run may hold; 0 or 1: no batching. -1: from the model (8 when every input
    // and output has a dynamic dim 0, else 0).
    int max_batch_size = -1;
    int64_t max_queue_delay_us = 0;  // how long the first request waits for others to fill a batch
    int instance_count = 1;          // sessions running in parallel
    int max_queue_size = 64;         // requests waiting; one more is refused (kResourceExhausted)
    int threads = 0;                 // threads per session; 0: the machine's cores / instance_count
    Precision precision = Precision::kFp32;
    std::string engine_file;    // engine file (docs/engine.md), relative to the version folder
    bool engine_cache = false;  // write engine_file (default "model.engine") when it was not loaded
    std::vector<ShapeProfile> shape_profiles;
    std::string image_task;  // "classify": the "image" extension (serve/image_model.hpp); "": off
};

// Parses config.json text; kInvalidArgument naming `where` and the key at fault (unknown keys too).
Result<ModelConfig> parse_model_config(std::string_view text, const std::string& where);

// Triton-named counters of one model version (cumulative; durations in microseconds).
struct ModelStats {
    static constexpr std::array<int, 8> kBatchBuckets = {1, 2, 4, 8, 16, 32, 64, 128};
    std::atomic<uint64_t> request_success{0}, request_failure{0}, inference_count{0}, exec_count{0};
    std::atomic<uint64_t> request_duration_us{0}, queue_duration_us{0}, compute_infer_duration_us{0};
    std::array<std::atomic<uint64_t>, kBatchBuckets.size() + 1> batch_buckets{};  // last: +Inf
    std::atomic<uint64_t> batch_sum{0};
    void observe_batch(int64_t rows);
};

class ModelRunner {
  public:
    // Creates instance_count sessions from `model_path` and starts one worker per session.
    static Result<std::unique_ptr<ModelRunner>> create(const std::string& name, const std::string& version,
                                                       const std::string& model_path, const ModelConfig& config);
    ~ModelRunner();  // stop()
    ModelRunner(const ModelRunner&) = delete;
    ModelRunner& operator=(const ModelRunner&) = delete;

    const std::string& name() const { return name_; }
    const std::string& version() const { return version_; }
    const std::vector<ValueDescription>& inputs() const;
    const std::vector<ValueDescription>& outputs() const;
    int max_batch_size() const { return max_batch_; }
    const ModelConfig& config() const { return config_; }
    ModelStats& stats() { return stats_; }
    // The "image" extension's model (config image_task), or nullptr.
    ImageModel* image_model() const { return image_.get(); }

    // Checks `inputs` against the model, queues them and waits for their outputs (model order).
    // kInvalidArgument: a missing, unknown, mistyped or misshaped input; kResourceExhausted: the queue is
    // full; kCancelled: the runner is stopping. Counts success/failure and durations in stats().
    Result<std::vector<NamedTensor>> infer(std::vector<NamedTensor> inputs);

    // Refuses new requests, finishes the queued ones, joins the workers. Idempotent.
    void stop();

    struct Pending;

  private:
    ModelRunner() = default;
    Status validate(std::vector<NamedTensor>& inputs, int64_t* rows) const;
    void worker(size_t instance);
    std::vector<std::shared_ptr<Pending>> take_batch(std::unique_lock<std::mutex>& lock);
    void run_batch(Session& session, std::vector<std::shared_ptr<Pending>>& batch);

    std::string name_, version_;
    ModelConfig config_;
    int max_batch_ = 0;
    std::vector<std::unique_ptr<Session>> sessions_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<Pending>> queue_;
    bool stopping_ = false;
    ModelStats stats_;
    std::unique_ptr<ImageModel> image_;
};

}  // namespace edgeinfer::serve
