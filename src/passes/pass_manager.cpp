// PassManager: ordered, timed, verified pass execution.
#include "passes/pass_manager.hpp"

#include <chrono>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string known_names(const std::vector<PassDef>& catalog) {
    std::string s;
    for (const PassDef& p : catalog) s += (s.empty() ? "" : ", ") + p.name;
    return s;
}

Verification check(const Verifier& verifier, const ir::Model& model) {
    auto r = verifier(model);
    if (!r.is_ok()) return Verification{false, 0, r.status().to_string()};
    return r.value();
}

}  // namespace

std::vector<std::string> PassReport::reverted() const {
    std::vector<std::string> out;
    for (const PassRecord& r : passes)
        if (r.reverted) out.push_back(r.name);
    return out;
}

PassManager::PassManager(std::vector<PassDef> catalog) : catalog_(std::move(catalog)) {
    for (const PassDef& p : catalog_) pipeline_.push_back(p.name);
}

const PassDef* PassManager::find(const std::string& name) const {
    for (const PassDef& p : catalog_)
        if (p.name == name) return &p;
    return nullptr;
}

Status PassManager::set_pipeline(const std::vector<std::string>& names) {
    for (const std::string& n : names)
        if (!find(n)) return invalid_argument("unknown pass '" + n + "' (passes: " + known_names(catalog_) + ")");
    pipeline_ = names;
    return Status::ok();
}

Status PassManager::skip(const std::vector<std::string>& names) {
    for (const std::string& n : names) {
        if (!find(n)) return invalid_argument("unknown pass '" + n + "' (passes: " + known_names(catalog_) + ")");
        std::erase(pipeline_, n);
    }
    return Status::ok();
}

void PassManager::set_verifier(Verifier verifier, VerifyMode mode) {
    verifier_ = std::move(verifier);
    mode_ = verifier_ ? mode : VerifyMode::kNone;
}

PassReport PassManager::run_with(ir::Model& model, VerifyMode mode) const {
    PassReport report;
    auto start = std::chrono::steady_clock::now();
    report.nodes_before = static_cast<int64_t>(model.graph.nodes.size());
    report.bytes_before = initializer_bytes(model.graph);
    for (const std::string& name : pipeline_) {
        const PassDef& def = *find(name);
        PassRecord rec;
        rec.name = name;
        rec.nodes_before = static_cast<int64_t>(model.graph.nodes.size());
        rec.bytes_before = initializer_bytes(model.graph);
        // Tensors are shared between copies and passes never write into an existing tensor, so
        // this snapshot costs the node list, not the weights.
        std::optional<ir::Model> snapshot;
        if (mode == VerifyMode::kEachPass) snapshot = model;
        auto t0 = std::chrono::steady_clock::now();
        PassOutcome out = def.run(model);
        rec.ms = ms_since(t0);
        rec.changed = out.changed;
        rec.note = out.note;
        if (out.changed && mode == VerifyMode::kEachPass) {
            auto t1 = std::chrono::steady_clock::now();
            Verification v = check(verifier_, model);
            rec.verify_ms = ms_since(t1);
            rec.verified = true;
            rec.max_abs_diff = v.max_abs_diff;
            if (!v.ok) {
                model = std::move(*snapshot);
                rec.reverted = true;
                rec.note = "reverted: " + v.detail;
            }
        }
        rec.nodes_after = static_cast<int64_t>(model.graph.nodes.size());
        rec.bytes_after = initializer_bytes(model.graph);
        report.passes.push_back(std::move(rec));
    }
    report.nodes_after = static_cast<int64_t>(model.graph.nodes.size());
    report.bytes_after = initializer_bytes(model.graph);
    if (mode != VerifyMode::kNone) report.final_check = check(verifier_, model);
    report.total_ms = ms_since(start);
    return report;
}

PassReport PassManager::run(ir::Model& model) const {
    if (mode_ != VerifyMode::kEnd) return run_with(model, mode_);
    ir::Model original = model;
    PassReport report = run_with(model, VerifyMode::kEnd);
    if (report.final_check && report.final_check->ok) return report;
    // Some pass broke the model: find it by checking after every pass.
    model = std::move(original);
    return run_with(model, VerifyMode::kEachPass);
}

}  // namespace edgeinfer::passes
