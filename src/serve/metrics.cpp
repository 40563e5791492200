// Prometheus text format 0.0.4: one HELP/TYPE block per metric, one line per model version.
#include "serve/metrics.hpp"

#include <sstream>

namespace edgeinfer::serve {
namespace {

struct Counter {
    const char* name;
    const char* help;
    std::atomic<uint64_t> ModelStats::*field;
};

constexpr Counter kCounters[] = {
    {"nv_inference_request_success", "Number of successful inference requests", &ModelStats::request_success},
    {"nv_inference_request_failure", "Number of failed inference requests", &ModelStats::request_failure},
    {"nv_inference_count", "Number of inferences performed (batch rows)", &ModelStats::inference_count},
    {"nv_inference_exec_count", "Number of model executions performed (batches)", &ModelStats::exec_count},
    {"nv_inference_request_duration_us", "Cumulative inference request duration in microseconds",
     &ModelStats::request_duration_us},
    {"nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds",
     &ModelStats::queue_duration_us},
    {"nv_inference_compute_infer_duration_us", "Cumulative compute inference duration in microseconds",
     &ModelStats::compute_infer_duration_us},
};

std::string labels(const ModelRunner& r) { return "model=\"" + r.name() + "\",version=\"" + r.version() + "\""; }

}  // namespace

std::string render_metrics(const std::vector<std::shared_ptr<ModelRunner>>& runners) {
    std::ostringstream out;
    for (const Counter& c : kCounters) {
        out << "# HELP " << c.name << " " << c.help << "\n# TYPE " << c.name << " counter\n";
        for (const auto& r : runners)
            out << c.name << "{" << labels(*r) << "} " << (r->stats().*c.field).load() << "\n";
    }
    const char* h = "edgeinfer_inference_batch_size";
    out << "# HELP " << h << " Rows per model execution (dynamic batching)\n# TYPE " << h << " histogram\n";
    for (const auto& r : runners) {
        ModelStats& s = r->stats();
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= ModelStats::kBatchBuckets.size(); ++b) {
            cumulative += s.batch_buckets[b].load();
            std::string le =
                b < ModelStats::kBatchBuckets.size() ? std::to_string(ModelStats::kBatchBuckets[b]) : "+Inf";
            out << h << "_bucket{" << labels(*r) << ",le=\"" << le << "\"} " << cumulative << "\n";
        }
        out << h << "_sum{" << labels(*r) << "} " << s.batch_sum.load() << "\n";
        out << h << "_count{" << labels(*r) << "} " << cumulative << "\n";
    }
    return out.str();
}

}  // namespace edgeinfer::serve
