// ModelRunner: workers take the oldest request, gather compatible ones (same dtypes and non-batch dims) up to
// max_batch_size rows within max_queue_delay_us, run one session on the rows stacked along dim 0, and hand
// each request its slice of the outputs.
#include "serve/model.hpp"

#include <algorithm>
#include <cstring>
#include <future>
#include <nlohmann/json.hpp>

namespace edgeinfer::serve {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

uint64_t micros(Clock::duration d) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

Result<int64_t> config_int(const json& v, const std::string& where, const char* key, int64_t lo, int64_t hi) {
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
        return invalid_argument(where + ": '" + key + "' must be an integer in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "], got " + v.dump());
    return v.get<int64_t>();
}

Result<std::vector<int64_t>> config_dims(const json& v, const std::string& what) {
    if (!v.is_array()) return invalid_argument(what + " is not an array of dims");
    std::vector<int64_t> dims;
    for (const json& d : v) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0)
            return invalid_argument(what + " has a bad dim " + d.dump());
        dims.push_back(d.get<int64_t>());
    }
    return dims;
}

Result<std::vector<ShapeProfile>> config_profiles(const json& v, const std::string& where) {
    if (!v.is_array()) return invalid_argument(where + ": 'shape_profiles' is not an array");
    std::vector<ShapeProfile> profiles;
    for (const json& p : v) {
        if (!p.is_object()) return invalid_argument(where + ": a shape profile is not an object of inputs");
        ShapeProfile profile;
        for (const auto& [input, range] : p.items()) {
            std::string what = where + ": shape_profiles input '" + input + "'";
            if (!range.is_object()) return invalid_argument(what + " is not {min, opt, max}");
            InputShapeRange r{input, {}, {}, {}};
            for (const char* key : {"min", "opt", "max"}) {
                if (!range.contains(key)) return invalid_argument(what + " has no '" + key + "'");
                auto dims = config_dims(range[key], what + " " + key);
                if (!dims.is_ok()) return dims.status();
                (std::string_view(key) == "min"   ? r.min
                 : std::string_view(key) == "opt" ? r.opt
                                                  : r.max) = dims.value();
            }
            profile.inputs.push_back(std::move(r));
        }
        profiles.push_back(std::move(profile));
    }
    return profiles;
}

// The signature requests must share to be batched together: each input's dtype and dims after dim 0.
bool same_rows(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
    for (size_t i = 0; i < a.size(); ++i) {
        const auto& da = a[i].tensor.dims();
        const auto& db = b[i].tensor.dims();
        if (a[i].tensor.dtype() != b[i].tensor.dtype() || da.size() != db.size() ||
            !std::equal(da.begin() + 1, da.end(), db.begin() + 1))
            return false;
    }
    return true;
}

}  // namespace

struct ModelRunner::Pending {
    std::vector<NamedTensor> inputs;  // model order
    int64_t rows = 1;
    Clock::time_point enqueued;
    std::promise<Result<std::vector<NamedTensor>>> done;
    uint64_t queue_us = 0;
};

void ModelStats::observe_batch(int64_t rows) {
    size_t b = 0;
    while (b < kBatchBuckets.size() && rows > kBatchBuckets[b]) ++b;
    ++batch_buckets[b];
    batch_sum += static_cast<uint64_t>(rows);
}

Result<ModelConfig> parse_model_config(std::string_view text, const std::string& where) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return invalid_argument(where + ": not a JSON object");
    ModelConfig c;
    for (const auto& [key, v] : j.items()) {
        Result<int64_t> n = int64_t{0};
        if (key == "max_batch_size") {
            if (!(n = config_int(v, where, "max_batch_size", 0, 4096)).is_ok()) return n.status();
            c.max_batch_size = static_cast<int>(n.value());
        } else if (key == "max_queue_delay_us") {
            if (!(n = config_int(v, where, "max_queue_delay_us", 0, 10'000'000)).is_ok()) return n.status();
            c.max_queue_delay_us = n.value();
        } else if (key == "instance_count") {
            if (!(n = config_int(v, where, "instance_count", 1, 64)).is_ok()) return n.status();
            c.instance_count = static_cast<int>(n.value());
        } else if (key == "max_queue_size") {
            if (!(n = config_int(v, where, "max_queue_size", 1, 1'000'000)).is_ok()) return n.status();
            c.max_queue_size = static_cast<int>(n.value());
        } else if (key == "threads") {
            if (!(n = config_int(v, where, "threads", 0, 1024)).is_ok()) return n.status();
            c.threads = static_cast<int>(n.value());
        } else if (key == "precision") {
            auto p = v.is_string() ? parse_precision(v.get<std::string>())
                                   : Result<Precision>(invalid_argument("not a string"));
            if (!p.is_ok()) return p.status().with_context(where + ": 'precision'");
            c.precision = p.value();
        } else if (key == "engine_file") {
            if (!v.is_string()) return invalid_argument(where + ": 'engine_file' is not a string");
            c.engine_file = v.get<std::string>();
        } else if (key == "engine_cache") {
            if (!v.is_boolean()) return invalid_argument(where + ": 'engine_cache' is not a boolean");
            c.engine_cache = v.get<bool>();
        } else if (key == "image_task") {
            if (!v.is_string()) return invalid_argument(where + ": 'image_task' is not a string");
            c.image_task = v.get<std::string>();
        } else if (key == "shape_profiles") {
            auto p = config_profiles(v, where);
            if (!p.is_ok()) return p.status();
            c.shape_profiles = std::move(p.value());
        } else {
            return invalid_argument(where + ": unknown key '" + key +
                                    "' (max_batch_size, max_queue_delay_us, instance_count, max_queue_size, threads, "
                                    "precision, engine_file, engine_cache, shape_profiles, image_task)");
        }
    }
    return c;
}

Result<std::unique_ptr<ModelRunner>> ModelRunner::create(const std::string& name, const std::string& version,
                                                         const std::string& model_path, const ModelConfig& config) {
    std::unique_ptr<ModelRunner> r(new ModelRunner());
    r->name_ = name;
    r->version_ = version;
    r->config_ = config;
    SessionOptions options;
    options.precision = config.precision;
    options.shape_profiles = config.shape_profiles;
    int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    options.num_threads = config.threads > 0 ? config.threads : std::max(1, cores / config.instance_count);
    std::string dir = model_path.substr(0, model_path.find_last_of('/') + 1);
    std::string engine = config.engine_file.empty() && config.engine_cache ? "model.engine" : config.engine_file;
    if (!engine.empty()) options.engine_path = engine.front() == '/' ? engine : dir + engine;
    for (int i = 0; i < config.instance_count; ++i) {
        auto s = Session::create(model_path, options);
        if (!s.is_ok()) return s.status();
        if (i == 0 && config.engine_cache && !s.value()->engine_report().loaded) {
            Status saved = s.value()->save_engine(options.engine_path);
            if (!saved.is_ok()) return saved.with_context("model '" + name + "' engine cache");
        }
        r->sessions_.push_back(std::move(s.value()));
    }
    // Batching needs dim 0 dynamic on every input and output.
    bool batchable = true;
    for (const auto* values : {&r->inputs(), &r->outputs()})
        for (const ValueDescription& v : *values) batchable = batchable && !v.dims.empty() && v.dims[0] < 0;
    r->max_batch_ = config.max_batch_size >= 0 ? config.max_batch_size : (batchable ? 8 : 0);
    if (r->max_batch_ > 1 && !batchable)
        return invalid_argument("model '" + name + "': max_batch_size " + std::to_string(r->max_batch_) +
                                " needs a dynamic dim 0 on every input and output");
    if (!config.image_task.empty()) {
        auto image = ImageModel::create(model_path, config.image_task);
        if (!image.is_ok()) return image.status().with_context("model '" + name + "'");
        r->image_ = std::move(image.value());
    }
    for (size_t i = 0; i < r->sessions_.size(); ++i) r->workers_.emplace_back([p = r.get(), i] { p->worker(i); });
    return r;
}

ModelRunner::~ModelRunner() { stop(); }

const std::vector<ValueDescription>& ModelRunner::inputs() const { return sessions_.front()->inputs(); }
const std::vector<ValueDescription>& ModelRunner::outputs() const { return sessions_.front()->outputs(); }

Status ModelRunner::validate(std::vector<NamedTensor>& inputs, int64_t* rows) const {
    std::string model = "model '" + name_ + "'";
    std::vector<NamedTensor> ordered;
    for (const ValueDescription& want : this->inputs()) {
        auto it = std::find_if(inputs.begin(), inputs.end(), [&](const NamedTensor& t) { return t.name == want.name; });
        if (it == inputs.end()) return invalid_argument(model + ": input '" + want.name + "' is missing");
        const Tensor& t = it->tensor;
        if (t.dtype() != want.dtype)
            return invalid_argument(model + ": input '" + want.name + "' is " + std::string(dtype_name(t.dtype())) +
                                    ", the model takes " + std::string(dtype_name(want.dtype)));
        bool fits = t.dims().size() == want.dims.size();
        for (size_t d = 0; fits && d < want.dims.size(); ++d) fits = want.dims[d] < 0 || want.dims[d] == t.dims()[d];
        if (!fits)
            return invalid_argument(model + ": input '" + want.name + "' has shape " + shape_to_string(t.dims()) +
                                    ", the model takes " + shape_to_string(want.dims) + " (-1: any)");
        ordered.push_back(std::move(*it));
        inputs.erase(it);
    }
    if (!inputs.empty()) return invalid_argument(model + " has no input '" + inputs.front().name + "'");
    inputs = std::move(ordered);
    *rows = max_batch_ > 1 && !inputs.empty() && !inputs[0].tensor.dims().empty() ? inputs[0].tensor.dims()[0] : 1;
    if (max_batch_ > 1) {
        for (const NamedTensor& t : inputs)
            if (t.tensor.dims()[0] != *rows)
                return invalid_argument(model + ": inputs disagree on the batch dim (" + inputs[0].name + " has " +
                                        std::to_string(*rows) + ", " + t.name + " " +
                                        std::to_string(t.tensor.dims()[0]) + ")");
        if (*rows < 1 || *rows > max_batch_)
            return invalid_argument(model + ": batch of " + std::to_string(*rows) + " outside [1, max_batch_size " +
                                    std::to_string(max_batch_) + "]");
    }
    return Status::ok();
}

Result<std::vector<NamedTensor>> ModelRunner::infer(std::vector<NamedTensor> inputs) {
    Clock::time_point start = Clock::now();
    auto pending = std::make_shared<Pending>();
    Status s = validate(inputs, &pending->rows);
    auto fail = [&](Status status) -> Result<std::vector<NamedTensor>> {
        ++stats_.request_failure;
        return status;
    };
    if (!s.is_ok()) return fail(s);
    pending->inputs = std::move(inputs);
    pending->enqueued = start;
    auto future = pending->done.get_future();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return fail(Status(StatusCode::kCancelled, "model '" + name_ + "' is unloading"));
        if (queue_.size() >= static_cast<size_t>(config_.max_queue_size))
            return fail(resource_exhausted("model '" + name_ + "': queue full (" +
                                           std::to_string(config_.max_queue_size) + " requests waiting); retry later"));
        queue_.push_back(pending);
    }
    cv_.notify_one();
    Result<std::vector<NamedTensor>> result = future.get();
    if (!result.is_ok()) return fail(result.status());
    ++stats_.request_success;
    stats_.request_duration_us += micros(Clock::now() - start);
    stats_.queue_duration_us += pending->queue_us;
    return result;
}

std::vector<std::shared_ptr<ModelRunner::Pending>> ModelRunner::take_batch(std::unique_lock<std::mutex>& lock) {
    std::vector<std::shared_ptr<Pending>> batch{queue_.front()};
    queue_.pop_front();
    if (max_batch_ <= 1) return batch;
    int64_t rows = batch[0]->rows;
    Clock::time_point deadline = batch[0]->enqueued + std::chrono::microseconds(config_.max_queue_delay_us);
    for (;;) {
        for (auto it = queue_.begin(); it != queue_.end() && rows < max_batch_;) {
            if (rows + (*it)->rows <= max_batch_ && same_rows((*it)->inputs, batch[0]->inputs)) {
                rows += (*it)->rows;
                batch.push_back(*it);
                it = queue_.erase(it);
            } else {
                ++it;
            }
        }
        if (rows >= max_batch_ || stopping_ || Clock::now() >= deadline) return batch;
        cv_.wait_until(lock, deadline);
    }
}

void ModelRunner::run_batch(Session& session, std::vector<std::shared_ptr<Pending>>& batch) {
    Clock::time_point start = Clock::now();
    int64_t rows = 0;
    for (auto& p : batch) {
        p->queue_us = micros(start - p->enqueued);
        rows += p->rows;
    }
    std::vector<NamedTensor> inputs;
    if (batch.size() == 1) {
        inputs = batch[0]->inputs;
    } else {
        for (size_t i = 0; i < batch[0]->inputs.size(); ++i) {
            const Tensor& first = batch[0]->inputs[i].tensor;
            std::vector<int64_t> dims = first.dims();
            dims[0] = rows;
            Tensor stacked;
            if (first.dtype() == DataType::kString) {
                std::vector<std::string> values;
                for (auto& p : batch)
                    values.insert(values.end(), p->inputs[i].tensor.string_data().begin(),
                                  p->inputs[i].tensor.string_data().end());
                stacked = Tensor::strings(dims, std::move(values));
            } else {
                stacked = Tensor::allocate(first.dtype(), dims);
                auto* dst = static_cast<char*>(stacked.data());
                for (auto& p : batch) {
                    std::memcpy(dst, p->inputs[i].tensor.data(), p->inputs[i].tensor.nbytes());
                    dst += p->inputs[i].tensor.nbytes();
                }
            }
            inputs.push_back({batch[0]->inputs[i].name, std::move(stacked)});
        }
    }
    auto out = session.run(inputs);
    stats_.compute_infer_duration_us += micros(Clock::now() - start);
    ++stats_.exec_count;
    stats_.inference_count += static_cast<uint64_t>(rows);
    stats_.observe_batch(rows);
    if (!out.is_ok() || batch.size() == 1) {
        Status s = out.is_ok() ? Status::ok() : out.status().with_context("model '" + name_ + "'");
        for (auto& p : batch) {
            if (out.is_ok())
                p->done.set_value(out.value());
            else
                p->done.set_value(s);
        }
        return;
    }
    int64_t row = 0;
    for (auto& p : batch) {
        std::vector<NamedTensor> mine;
        for (const NamedTensor& o : out.value()) {
            const Tensor& t = o.tensor;
            if (t.dims().empty() || t.dims()[0] != rows || t.dtype() == DataType::kString) {
                mine.clear();
                break;
            }
            std::vector<int64_t> dims = t.dims();
            dims[0] = p->rows;
            size_t row_bytes = t.nbytes() / static_cast<size_t>(rows);
            mine.push_back(
                {o.name, Tensor::copy_of(t.dtype(), dims, static_cast<const char*>(t.data()) + row * row_bytes)});
        }
        if (mine.size() != out->size())
            p->done.set_value(internal_error("model '" + name_ + "': a batched output lost its batch dim"));
        else
            p->done.set_value(std::move(mine));
        row += p->rows;
    }
}

void ModelRunner::worker(size_t instance) {
    Session& session = *sessions_[instance];
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to finish
        auto batch = take_batch(lock);
        lock.unlock();
        run_batch(session, batch);
        lock.lock();
    }
}

void ModelRunner::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_)
        if (t.joinable()) t.join();
}

}  // namespace edgeinfer::serve
