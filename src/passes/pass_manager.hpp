// passes::PassManager: runs named passes in order, times each, counts nodes and parameter bytes
// before and after, and checks each change with a verifier the caller supplies (the CLI runs
// the model before and after on seeded inputs), reverting a pass whose change fails the check.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::passes {

struct PassOutcome {
    bool changed = false;
    std::string note;  // e.g. "412 values flushed"
};

struct PassDef {
    std::string name;     // as typed in --passes / --skip: "fold-batchnorm"
    std::string summary;  // one line for --list-passes
    std::function<PassOutcome(ir::Model&)> run;
};

struct Verification {
    bool ok = true;
    double max_abs_diff = 0;
    std::string detail;  // why it failed, or which output had the max difference
};

// Checks a candidate model against the reference the caller holds. A Status error (the candidate
// does not load or run) counts as a failed check. Passes never depend on how this is done.
using Verifier = std::function<Result<Verification>(const ir::Model& candidate)>;

enum class VerifyMode { kNone, kEachPass, kEnd };

struct PassRecord {
    std::string name;
    bool changed = false;
    bool verified = false;  // a verification ran for this pass
    bool reverted = false;  // the change failed verification and was undone
    double ms = 0;          // time of the pass itself
    double verify_ms = 0;
    int64_t nodes_before = 0, nodes_after = 0;
    int64_t bytes_before = 0, bytes_after = 0;  // initializer bytes
    std::optional<double> max_abs_diff;
    std::string note;
};

struct PassReport {
    std::vector<PassRecord> passes;
    int64_t nodes_before = 0, nodes_after = 0;
    int64_t bytes_before = 0, bytes_after = 0;
    std::optional<Verification> final_check;  // the final model against the reference
    double total_ms = 0;
    std::vector<std::string> reverted() const;
};

class PassManager {
  public:
    // `catalog`: every pass that can be named; the pipeline is initially the whole catalog in order.
    explicit PassManager(std::vector<PassDef> catalog);

    // Sets the passes to run, in order (a name may repeat). Unknown names: InvalidArgument.
    Status set_pipeline(const std::vector<std::string>& names);
    // Drops these passes from the pipeline. Unknown names: InvalidArgument.
    Status skip(const std::vector<std::string>& names);
    const std::vector<std::string>& pipeline() const { return pipeline_; }
    const std::vector<PassDef>& catalog() const { return catalog_; }

    void set_verifier(Verifier verifier, VerifyMode mode);

    // Runs the pipeline on `model` in place. With kEnd, a failed final check re-runs the pipeline
    // from the original with a check after every pass, so the faulty pass is found and reverted.
    PassReport run(ir::Model& model) const;

  private:
    const PassDef* find(const std::string& name) const;
    PassReport run_with(ir::Model& model, VerifyMode mode) const;

    std::vector<PassDef> catalog_;
    std::vector<std::string> pipeline_;
    Verifier verifier_;
    VerifyMode mode_ = VerifyMode::kNone;
};

}  // namespace edgeinfer::passes
