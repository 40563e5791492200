// edgeinfer::Session and SessionOptions: load a model once, run it many times.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/precision.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"

namespace edgeinfer {

// One input's shape range in a shape profile (trtexec's --minShapes/--optShapes/--maxShapes): every
// dim of a run's shape must lie in [min, max]; `opt` is the shape planned at creation.
struct InputShapeRange {
    std::string name;
    std::vector<int64_t> min, opt, max;  // the same rank as the input
};

// The inputs a profile names; inputs it does not name are unconstrained by it (an input with dynamic
// dims must be named: its opt shape is needed to plan).
struct ShapeProfile {
    std::vector<InputShapeRange> inputs;
};

// Every model-wide switch lives here.
struct SessionOptions {
    int num_threads = 0;  // 0: all cores of the machine
    GraphOptimizationLevel optimization_level = GraphOptimizationLevel::kAll;
    // bf16: convolutions and matrix products compute in bf16 (AMX/AVX-512) with fp32 accumulation;
    // everything else stays fp32. int8 runs quantized (QDQ) models' int8 paths.
    Precision precision = Precision::kFp32;
    std::vector<std::string> keep_fp32_nodes;  // node names that stay fp32 whatever `precision` says
    // Convolution tactics (direct, Winograd): chosen by heuristic, timed at plan build, or direct only.
    TacticMode tactics = TacticMode::kFast;
    bool enable_profiling = false;  // per-node timings, read with Session::profile()
    // Engine file (docs/engine.md) written by Session::save_engine. create/create_from_bytes use it, skipping
    // graph optimization and building the plans it lists, when it was saved from the same model bytes
    // by the same edgeinfer and oneDNN versions on the same CPU ISA with the same precision,
    // optimization_level, keep_fp32_nodes and thread count; otherwise, or when the file is missing,
    // truncated or corrupt, the session is built from the model and engine_report() says why.
    std::string engine_path;
    // Engine cache folder (docs/engine.md), like ONNX Runtime's TensorRT engine cache: create looks for the
    // entry named by the SHA-256 of the model bytes and its external data files, the options above that
    // change the plan (precision, optimization_level, keep_fp32_nodes, resolved thread count, shape
    // profiles), the CPU ISA and the edgeinfer and oneDNN versions. Found and valid: the session loads it
    // (engine_report().loaded). Missing: the session is built and the entry written (atomically: temporary
    // file, then rename). Stale or corrupt: built, rewritten, engine_report().message says why. The folder
    // is created when missing; a folder that cannot be written leaves the session usable and says so in
    // the message. Set engine_path or engine_cache_dir, not both.
    std::string engine_cache_dir;
    // Upper bound in bytes for any one value and for the intermediate values of a run together (0: the
    // machine's physical memory). Shapes are checked against it, and byte counts for overflow, before
    // anything is allocated; a value over it, or an allocation that fails, is StatusCode::kResourceExhausted
    // naming the node and value.
    size_t max_memory_bytes = 0;
    // Upper bound in milliseconds for one run (0: none), and for building the session: checked after
    // each node and before each Loop iteration, so a Loop with a huge trip count stops with
    // StatusCode::kResourceExhausted naming the node and the iterations done. One kernel is not
    // interrupted midway.
    int64_t run_time_limit_ms = 0;
    // Shape profiles (docs/engine.md). Empty: any shape runs. Otherwise create checks them against the
    // model (names, ranks, min <= opt <= max, fixed dims inside) and plans each profile's opt shapes; a
    // run whose input shapes lie in no profile is StatusCode::kInvalidArgument naming the input, its
    // shape and the allowed ranges, before anything runs; shapes inside a profile are planned at their
    // first run and cached. Engine files store the profiles (a file made with other ones is rebuilt).
    std::vector<ShapeProfile> shape_profiles;
};

// What Session::create did with SessionOptions::engine_path or engine_cache_dir.
struct EngineReport {
    bool requested = false;  // engine_path or engine_cache_dir was set
    bool loaded = false;     // the session came from the engine file (or the cache entry)
    // Not loaded: why (the file and its problem, or each header field that differs). Loaded: the
    // nodes whose kernel implementation differs from the one recorded in the file, or "".
    std::string message;
    std::string cache_entry;     // engine_cache_dir: the entry file for this model and these options
    bool cache_written = false;  // engine_cache_dir: this session built the entry and wrote it
};

// Name, dtype and shape of a model input or output; -1 marks a dynamic dim, named in `symbols`.
// For a sequence or optional (`kind`), dtype and dims describe its tensors (the elements).
struct ValueDescription {
    std::string name;
    DataType dtype = DataType::kUndefined;
    std::vector<int64_t> dims;
    std::vector<std::string> symbols;  // symbol of each dim ("" for fixed or unnamed dims)
    ValueKind kind = ValueKind::kTensor;
};

// A model input or output. Almost always one tensor; for the inputs and outputs a model declares as
// sequences or optionals (ValueDescription::kind), `kind` says which and:
//   kSequence: the elements in `sequence` (`tensor` empty);
//   kOptionalTensor: `tensor`, or has_value = false for an empty optional;
//   kOptionalSequence: `sequence`, or has_value = false for an empty optional.
struct NamedTensor {
    std::string name;
    Tensor tensor;
    ValueKind kind = ValueKind::kTensor;
    std::vector<Tensor> sequence = {};
    bool has_value = true;
};

// Per-node timing from the last profiled run.
struct NodeProfile {
    std::string node_name;
    std::string op_type;
    std::string kernel;  // implementation that ran, e.g. "onednn:brgconv:avx512_core"
    std::string tactic;  // "direct", "winograd" (F(2,3)), "winograd_4x3" or "" (node has one implementation)
    std::vector<std::vector<int64_t>> input_shapes;
    double total_us = 0;
    int64_t runs = 0;
};

class Session {
  public:
    static Result<std::unique_ptr<Session>> create(const std::string& model_path, const SessionOptions& options = {});
    static Result<std::unique_ptr<Session>> create_from_bytes(const void* data, size_t size,
                                                              const SessionOptions& options = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const std::vector<ValueDescription>& inputs() const;
    const std::vector<ValueDescription>& outputs() const;

    // Runs the model. Inputs are matched by name; every model input must be given once.
    // Outputs are returned in model order, in freshly allocated tensors.
    Result<std::vector<NamedTensor>> run(const std::vector<NamedTensor>& inputs);
    // Same, writing into caller-provided output tensors (matched by name, shapes must match the
    // computed ones). With wrapped outputs and an already-seen input shape, no heap allocation.
    Status run(const std::vector<NamedTensor>& inputs, std::vector<NamedTensor>& outputs);

    // Per-node timings accumulated since creation (SessionOptions::enable_profiling).
    std::vector<NodeProfile> profile() const;
    // Number of compiled plans (one per distinct set of input shapes).
    size_t plan_count() const;
    // Nodes whose tactics were timed (TacticMode::kTimed) while this session built its plans, all plans
    // together; 0 for a session whose plans came from an engine file's recorded tactics.
    size_t tactic_timings() const;

    // Writes the prepared session to an engine file (docs/engine.md): the graph after optimization,
    // the input shapes of its plans (built again when the file is loaded) and each node's kernel.
    // Errors: the model file changed since the session was created, the file cannot be written.
    Status save_engine(const std::string& path) const;
    const EngineReport& engine_report() const;

    class Impl;

  private:
    friend class SessionAccess;  // internal: runtime/session_internal.hpp
    explicit Session(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace edgeinfer
