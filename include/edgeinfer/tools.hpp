// edgeinfer::tools: the model tools as library calls: seeded inputs, tensor differences, the verified
// optimizer, compare (first mismatching layer), precision reports, int8 quantization, model reports,
// benchmarks and the ONNX backend test runner. `edgeinfer optimize|compare|quantize|inspect|bench|
// conformance` are thin faces of these calls: what they print comes from the reports below.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgeinfer/precision.hpp"
#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"

namespace edgeinfer::tools {

// Input name -> dims.
using ShapeMap = std::map<std::string, std::vector<int64_t>>;

// ---- Inputs -------------------------------------------------------------------------------------

// "1x3x224x224" -> {1, 3, 224, 224}; `what` names the option in errors.
Result<std::vector<int64_t>> parse_dims(const std::string& text, const std::string& what);
// NAME=DIMS (or NAME:DIMS) specs into a map.
Result<ShapeMap> parse_shape_options(const std::vector<std::string>& specs, const std::string& what);
// trtexec-style --min-shapes/--opt-shapes/--max-shapes values: NAME:DIMS specs, several per string
// separated by commas ("x:1x3x8x8,y:1x4"). Every input named in one list must be named in all three.
Result<ShapeProfile> parse_shape_profile(const std::vector<std::string>& min, const std::vector<std::string>& opt,
                                         const std::vector<std::string>& max);
// The same flags as the session option: no profile when all three are empty, else the one parsed.
Result<std::vector<ShapeProfile>> parse_shape_profiles(const std::vector<std::string>& min,
                                                       const std::vector<std::string>& opt,
                                                       const std::vector<std::string>& max);
// `given` plus, for each input it lacks, the profile's opt shape (what run and bench feed by default).
ShapeMap with_opt_shapes(ShapeMap given, const std::vector<ShapeProfile>& profiles);
// NAME=FILE specs into a map.
Result<std::map<std::string, std::string>> parse_file_options(const std::vector<std::string>& specs,
                                                              const std::string& what);

// One tensor per input: seeded random values (normal floats, small ints, random bytes and bools) with
// dims from `shapes`, else the input's own (dynamic dims 1). The same seed gives the same tensors.
std::vector<NamedTensor> seeded_inputs(const std::vector<ValueDescription>& inputs, const ShapeMap& shapes,
                                       uint32_t seed);
// As seeded_inputs, but inputs named in `files` are read from those .npy files (a name that is not
// an input is an error).
Result<std::vector<NamedTensor>> make_inputs(const std::vector<ValueDescription>& inputs,
                                             const std::map<std::string, std::string>& files, const ShapeMap& shapes,
                                             uint32_t seed);
// Writes `outputs` into `dir` (created when missing) as .npy files, named as `edgeinfer run -o` names them:
// NAME.npy for a tensor (NAME through file_safe), NAME_<i>.npy for element i of a sequence, nothing for an
// empty optional. Returns the paths written, in order; an error names the file or folder.
Result<std::vector<std::string>> save_outputs(const std::string& dir, const std::vector<NamedTensor>& outputs);
// Dims of every input: `given` first (checked against the model's fixed dims), else the model's with
// dim 0 set to `batch` (> 0) or, when dynamic, 1; other dynamic dims are an error asking for `flag`.
Result<ShapeMap> resolve_input_shapes(const std::vector<ValueDescription>& inputs, const ShapeMap& given, int64_t batch,
                                      const std::string& flag);
// `given` plus, for each dynamic input of `inputs` in `files` that `given` does not name, the dims of its
// .npy file: a dynamic input needs no --shape when its data says what it is. Errors name the file.
Result<ShapeMap> with_file_shapes(ShapeMap given, const std::map<std::string, std::string>& files,
                                  const std::vector<ValueDescription>& inputs);

// ---- Tensor statistics and differences ----------------------------------------------------------

struct TensorStats {
    int64_t count = 0, nan = 0, inf = 0, zero = 0;
    double min = 0, max = 0, mean = 0;  // over finite values
};
TensorStats tensor_stats(const Tensor& t);

// What `edgeinfer run` prints for a float32 output: min and max over finite values (starting from the
// first element), the sum of finite values over every element as the mean, and the non-finite count.
struct OutputSummary {
    double min = 0, max = 0, mean = 0;
    int64_t nonfinite = 0;
};
// nullopt for other dtypes and empty tensors.
std::optional<OutputSummary> summarize_output(const Tensor& t);
// "min 0  max 1  mean 0.5  nan 0  inf 0  zeros 1/2".
std::string format_stats(const TensorStats& s);

struct ElementDiff {
    std::vector<int64_t> index;
    double a = 0, b = 0, diff = 0;
};

struct Difference {
    bool comparable = true;  // false: dtype or shape differ (see why)
    std::string why;
    double max_abs = 0;            // +inf when NaN/Inf patterns differ
    double scale = 0;              // max |a| over finite values: what rtol is relative to
    int64_t mismatched = 0;        // elements with |a-b| > atol + rtol*scale
    std::vector<ElementDiff> top;  // largest differences first
    bool within(double atol, double rtol) const { return comparable && max_abs <= atol + rtol * scale; }
};

// Element-wise comparison of `a` (reference) and `b`. NaN equals NaN, equal infinities are equal.
Difference compare_tensors(const Tensor& a, const Tensor& b, double atol, double rtol, size_t top_k = 5);
// Element `i` as double for any numeric dtype (bool as 0/1); false for strings and unknown types.
bool element_as_double(const Tensor& t, int64_t i, double* out);
// "/" ":" " " "\" replaced by "_": value names as file names.
std::string file_safe(const std::string& name);

// Every name in `names` is a node of the model at `model_path` (subgraph nodes included); otherwise
// an error listing the unknown names and a few of the model's node names. Ok at once for no names.
Status check_node_names(const std::string& model_path, const std::vector<std::string>& names);

// ---- optimize: the pass pipeline, each pass verified ---------------------------------------------

struct PassInfo {
    std::string name, summary;
};
// Every pass `optimize` can run, by name.
std::vector<PassInfo> list_passes();

enum class VerifyMode { kEachPass, kEnd, kNone };
// "each", "end", "none" (the CLI's --verify, Python's verify=).
std::string_view to_string(VerifyMode mode);
// The names to_string gives; kInvalidArgument naming the choices otherwise.
Result<VerifyMode> parse_verify_mode(std::string_view name);
// "each|end|none", for help texts.
std::string verify_mode_choices();

struct OptimizeOptions {
    GraphOptimizationLevel level = GraphOptimizationLevel::kAll;
    std::vector<std::string> passes{};  // exactly these, in order (instead of `level`'s pipeline)
    std::vector<std::string> skip{};
    ShapeMap static_shapes{};    // fix these inputs' dims first
    bool dynamic_batch = false;  // make dim 0 of inputs and outputs the symbol 'batch'
    int64_t opset = 0;           // convert to this default-domain opset first (0: keep)
    VerifyMode verify = VerifyMode::kEachPass;
    double rtol = 1e-4, atol = 1e-5;
    uint32_t seed = 0;  // of the verification inputs
    int threads = 0;
    // Shapes of the verification inputs where the model leaves dims dynamic: static_shapes, else these
    // (--verify-shape), else the first profile's opt shapes, else the sidecar MODEL.json's "input_shape" (for
    // its "input", or the only input), else 1 for dim 0 and 224 for the other dynamic dims of a rank-4 input
    // (never 1 for the spatial dims of an image model's Conv input), 1 elsewhere.
    ShapeMap verify_shapes{};
    std::vector<ShapeProfile> verify_profiles{};
};

struct PassRow {
    std::string name;
    bool changed = false, verified = false, reverted = false;  // reverted: it changed the outputs
    std::optional<double> max_abs_diff;                        // against the original, when verified
    double ms = 0;
    int64_t nodes_before = 0, nodes_after = 0, bytes_before = 0, bytes_after = 0;
    std::string note;
};

struct OptimizeReport {
    std::vector<PassRow> passes;
    int64_t nodes_before = 0, nodes_after = 0, bytes_before = 0, bytes_after = 0;
    double total_ms = 0;
    std::vector<std::string> reverted;  // names of the reverted passes
    struct Check {
        bool ok = true;
        double max_abs_diff = 0;
        std::string detail;
    };
    std::optional<Check> final_check;  // the written model against the original (verify != kNone)
    std::string onnx_checker;          // "ok" or the checker's message on the written file
    bool io_names_changed = false;     // the input/output names differ from the original's
    bool ok() const { return onnx_checker == "ok" && (!final_check || final_check->ok) && !io_names_changed; }
};

// Loads `input_path`, runs the passes, writes `output_path` (weights over 1 GiB in a side file).
Result<OptimizeReport> optimize(const std::string& input_path, const std::string& output_path,
                                const OptimizeOptions& options = {});

// ---- compare: the first value that differs between two models (or a model and references) ------

struct CompareOptions {
    // Without a second model: DIR of VALUE.npy, FILE.npy (first output), VALUE=FILE.npy, or the one
    // word "opencv" (A run in OpenCV DNN).
    std::vector<std::string> references{};
    std::map<std::string, std::string> input_files{};  // NAME=FILE.npy; others are seeded random
    ShapeMap shapes{};                                 // dims of random inputs with dynamic dims
    uint32_t seed = 0;
    double rtol = 1e-4, atol = 1e-5;
    int threads = 0;
    bool bisect = false;  // one exposed value per run, narrowed down (graphs too big to expose)
};

struct ValueStats {
    std::vector<int64_t> shape;
    TensorStats stats;
};
struct NamedStats {
    std::string name;
    std::optional<ValueStats> stats;  // nullopt: not available on that side
};

struct FirstMismatch {
    std::string value, value_b;             // A's value and its counterpart on the other side
    std::string node, node_label, op_type;  // A's producing node (label: "Conv 'conv3'")
    std::string node_b, node_b_label;       // the other side's ("initializer" / "reference" without one)
    double max_abs_diff = 0, limit = 0;
    int64_t mismatched_elements = 0;
    std::string why;  // dtype or shape difference
    std::optional<ValueStats> stats_a, stats_b;
    std::vector<NamedStats> inputs_a, inputs_b;  // the producing node's inputs on each side
    std::vector<ElementDiff> top;                // the five largest element differences
};

struct ValueDiff {
    std::string a, b;  // value names on each side
    double max_abs_diff = 0, limit = 0;
    int64_t mismatched_elements = 0;
    bool ok = true;
};

struct CompareReport {
    std::string mode;     // "full", "bisect", "ref" or "ref-opencv"
    std::string a, b;     // paths ("reference" for b without a second model)
    std::string b_label;  // "B", "reference" or "OpenCV DNN"
    size_t compared = 0, mismatched_values = 0, runs = 0;
    double atol = 0, rtol = 0;
    std::vector<ValueDiff> outputs;  // A's graph outputs
    std::vector<ValueDiff> values;   // every value compared, in A's order
    std::optional<FirstMismatch> first_mismatch;
    bool match() const { return !first_mismatch.has_value(); }
};

// Runs A and B (`b_path`, or options.references when it is empty) on the same inputs with every
// intermediate value exposed, matches values by name, then producing node name, then graph outputs by
// position, and reports the first value in A's topological order beyond atol + rtol * max|A|.
Result<CompareReport> compare(const std::string& a_path, const std::string& b_path, const CompareOptions& options = {});

// ---- precision_report: a model in fp32 against bf16 or int8 --------------------------------------

struct PrecisionReportOptions {
    Precision precision = Precision::kBf16;            // kBf16 or kInt8
    std::string quantized{};                           // int8: the QDQ model of the float model
    std::vector<std::string> data{};                   // directories or files: .npy or images (sidecar)
    std::map<std::string, std::string> input_files{};  // NAME=FILE.npy (one sample; not with `data`)
    ShapeMap shapes{};                                 // for random inputs
    std::vector<std::string> keep_fp32{};              // nodes of the low side kept in fp32
    uint32_t seed = 0;
    int samples = 0;        // at most N of `data`; without `data`, N seeded random inputs (0: 1)
    int layer_samples = 8;  // inputs the per-layer table is measured on
    int threads = 0;
};

struct Agreement {
    int64_t agree = 0, total = 0;  // total 0: not measured for this output
    double rate() const { return total ? static_cast<double>(agree) / static_cast<double>(total) : 1.0; }
};

struct PrecisionOutput {
    std::string name;
    std::vector<int64_t> shape;
    double max_abs_diff = 0, mean_abs_diff = 0, cosine = 1, worst_cosine = 1, rel_l2 = 0;
    int64_t nonfinite_mismatches = 0;
    Agreement top1, top5, pixels;  // classifier rows; per-pixel argmax of [N, C, H, W] maps
};

struct LayerError {
    std::string node, op_type, value;
    double rel_l2 = 0, cosine = 1;                     // its output in the whole low-precision run
    std::optional<double> local_rel_l2, local_cosine;  // the node alone on its fp32 inputs
};

struct PrecisionReport {
    std::string model, precision, quantized;
    std::vector<std::string> keep_fp32;
    size_t samples = 0, layer_samples = 0;
    std::string preprocess;  // how images were preprocessed ("" without images)
    std::vector<PrecisionOutput> outputs;
    std::vector<LayerError> layers;  // largest own error first
};

Result<PrecisionReport> precision_report(const std::string& model_path, const PrecisionReportOptions& options = {});

// ---- quantize: post-training static int8 quantization to QDQ ONNX --------------------------------

struct QuantizeOptions {
    std::vector<std::string> calibration{};  // directories or files: .npy ([N, ...] splits) or images
    std::string method = "minmax";           // minmax, percentile or entropy
    double percentile = 99.99;
    bool per_channel = false;
    int samples = 0;  // at most N calibration samples (0: all)
    std::vector<std::string> exclude{};
    int threads = 0;
};

struct QuantizeReport {
    int64_t quantized_nodes = 0, weights = 0, activations = 0, samples = 0;
    std::string preprocess;             // how images were preprocessed ("" without images)
    std::vector<std::string> warnings;  // in the order they arose
    std::string onnx_checker;           // "ok" or the checker's message on the written file
    int64_t skipped = 0;                // calibration files that do not decode as images, skipped (each warned)
    std::string sidecar;                // the sidecar written next to the output (the input's, extended)
};

// Writes `output_path` (its folder created when missing) and the sidecar OUTPUT.json: the input model's
// sidecar (MODEL.json) when it has one, its "onnx" renamed, plus a "quantized" object (source model,
// method, per-channel, samples), so the int8 model is fed and labelled as the float one.
Result<QuantizeReport> quantize(const std::string& model_path, const std::string& output_path,
                                const QuantizeOptions& options);

// ---- the machine ----------------------------------------------------------------------------------

// The CPU this process runs on, as the kernels see it (bench and inspect print it).
struct CpuInfo {
    std::string architecture;           // "x86_64", "aarch64", ...
    std::vector<std::string> features;  // /proc/cpuinfo names: x86_64 avx2, avx512f, avx512_vnni, avx512_bf16,
                                        // amx_tile, ...; aarch64 asimd (NEON), asimddp (dot product), sve, sve2,
                                        // bf16, i8mm, ... (from AT_HWCAP/AT_HWCAP2, as qemu -cpu reports them too)
    std::string onednn_isa;             // oneDNN's effective ISA by its names: x86 levels ("avx512_core_amx"),
                                        // aarch64 "asimd" (NEON) or "sve_<vector bits>" ("sve_256")
    int cores = 0;                      // logical processors this process may use
};
CpuInfo cpu_info();
// "aarch64, 4 cores: fp asimd asimddp (oneDNN ISA all)"
std::string format_text(const CpuInfo& cpu);

// ---- inspect: what a model is, what it costs, whether edgeinfer runs it ---------------------------

struct DimInfo {
    int64_t value = -1;  // -1: unknown
    std::string symbol;
};
struct ValueInfo {
    std::string name;
    DataType dtype = DataType::kUndefined;
    bool has_rank = false;
    std::vector<DimInfo> dims;
    std::string shape_text;  // "1x3x224x224", symbols by name
};
struct OpInfo {
    std::string op;  // "Conv" or "domain:Op"
    int64_t count = 0, macs = 0;
    bool supported = false;
};

struct ModelInfo {
    std::string path, producer_name, producer_version, graph_name;
    int64_t ir_version = 0;
    std::vector<std::pair<std::string, int64_t>> opsets;  // "ai.onnx" for the default domain
    std::vector<ValueInfo> inputs, outputs;
    int64_t node_count = 0, parameter_count = 0, batchnorm_statistics = 0, other_initializer_elements = 0,
            initializer_bytes = 0;
    std::vector<OpInfo> ops;  // by name
    int64_t macs = 0, effective_macs = 0, nodes_without_shapes = 0;
    bool symbolic_dims_as_one = false;
    size_t registered_kernels = 0;
    CpuInfo cpu;  // the machine whose kernels `supported` refers to
    std::vector<std::string> unsupported_ops;
    // float32/float16 initializers holding subnormal values (0 < |x| < the type's smallest normal), with how
    // many each holds, most first (`optimize` flushes float32 ones to zero: flush-denormals).
    std::vector<std::pair<std::string, int64_t>> denormal_weights;
    // inspect(check = true): each check that ran, its result and the nodes it covered ("Cast 'c'").
    struct Check {
        std::string check;  // "onnx-checker", "onnx-shape-inference", "edgeinfer-shape-table", "not-covered"
        std::string result;
        std::vector<std::string> nodes;
    };
    std::vector<Check> checks;
};

// `check`: also check the file (a failed check's message is the error). Within libonnx 1.12's range (IR
// version <= 8, opsets <= 17) that is ONNX's checker; beyond it ONNX's checker and shape inference cover the
// nodes libonnx knows and edgeinfer's shape table the nodes of opsets 18-21 schemas (ModelInfo::checks).
Result<ModelInfo> inspect(const std::string& model_path, bool check = false);

// ---- benchmark ------------------------------------------------------------------------------------

struct BenchOptions {
    int threads = 0;    // per session; 0: the machine's cores / concurrency
    int64_t batch = 0;  // dim 0 of every input without `shapes`
    ShapeMap shapes{};  // checked against the model's fixed dims
    std::vector<std::pair<std::string, std::string>> input_files{};  // (input, .npy) pairs, rotated
    int warmup = 5;
    std::optional<int> iterations{};   // timed runs per session
    std::optional<double> duration{};  // seconds; neither: at least 10 runs and 3 s
    int input_sets = 4;
    uint32_t seed = 0;  // set k uses seed + k
    Precision precision = Precision::kFp32;
    TacticMode tactics = TacticMode::kFast;  // SessionOptions::tactics
    std::vector<std::string> keep_fp32{};
    GraphOptimizationLevel optimization = GraphOptimizationLevel::kAll;
    int concurrency = 1;  // sessions running at once, each in its own thread
    bool profile = false;
    std::string load_engine{}, save_engine{};
    // SessionOptions::shape_profiles; inputs without `shapes` then run at the first profile's opt shape.
    std::vector<ShapeProfile> shape_profiles{};
    size_t max_memory_bytes = 0;  // SessionOptions::max_memory_bytes (0: physical memory)
};

struct BenchInput {
    std::string name;
    DataType dtype = DataType::kUndefined;
    std::vector<int64_t> shape;
    bool from_file = false;
};
struct ProfileRow {
    std::string name, op_type, kernel;
    std::string tactic;  // NodeProfile::tactic: "direct", "winograd", "winograd_4x3" or "" (one implementation)
    std::vector<std::vector<int64_t>> input_shapes;
    double ms = 0, share = 0;  // per timed run
};
struct OpTypeRow {
    std::string op_type;
    int nodes = 0;
    double ms = 0, share = 0;
};

struct BenchReport {
    int threads = 0;
    int64_t batch = 1;
    std::vector<BenchInput> inputs;
    size_t input_sets = 0;
    double session_create_ms = 0, first_run_ms = 0;
    bool engine_loaded = false;
    std::vector<double> latencies_ms;  // in run order, session after session
    double min_ms = 0, mean_ms = 0, median_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
    double wall_s = 0, inferences_per_s = 0, images_per_s = 0, peak_rss_mb = 0;
    // Process CPU time (user + system, every thread) over the timed runs, per run: less sensitive than the
    // latencies to other processes sharing the cores (but it counts threads spinning at barriers).
    double cpu_ms_per_run = 0;
    // OpenMP's wait settings in effect ("GOMP_SPINCOUNT=1000", "OMP_WAIT_POLICY=passive"; "" = libgomp's default).
    std::string omp_wait;
    double profile_total_ms = 0;
    std::vector<ProfileRow> profile;  // slowest first (with options.profile)
    std::vector<OpTypeRow> op_types;  // slowest first
    std::vector<std::string> notes;   // engine file loaded/written, oversubscription
    CpuInfo cpu;                      // the machine it ran on
};

Result<BenchReport> benchmark(const std::string& model_path, const BenchOptions& options = {});

// ---- conformance: ONNX's backend test cases ------------------------------------------------------

struct ConformanceOptions {
    std::string data_dir = "/usr/share/libonnx-testdata/data";
    std::vector<std::string> suites = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    std::string filter{};          // regex on "suite/test_name"
    std::string expected{};        // expected-pass list: a case in it that fails is a regression
    std::string excluded{};        // cases skipped by name ("name  # reason" lines)
    std::string write_expected{};  // write the cases that passed here
    double rtol = 1e-3, atol = 1e-7;
    int threads = 1;
    bool isolate = true;  // each case in a child process, so a crash fails only its case
};

enum class CaseOutcome { kPass, kFail, kUnsupported, kExcluded };

struct CaseResult {
    std::string id;  // "suite/test_name"
    std::string op = "?";
    CaseOutcome outcome = CaseOutcome::kFail;
    std::string detail;  // why it failed, or the exclusion reason
};

struct ConformanceReport {
    std::vector<CaseResult> cases;  // in run order (excluded ones included)
    struct Counts {
        int pass = 0, fail = 0, unsupported = 0;
    };
    std::map<std::string, Counts> per_op;
    Counts total;
    int excluded = 0;
    size_t expected = 0;                   // cases on the expected-pass list
    std::vector<std::string> regressions;  // "id: detail"
};

Result<ConformanceReport> run_conformance(const ConformanceOptions& options = {});

// ---- Reports as documents: what `edgeinfer inspect|optimize|compare|bench [--json]` print ----------
// to_json: one JSON document (nlohmann's dump with `indent` spaces; -1: one line). format_text: the
// report's text rendering, newline-terminated.

std::string to_json(const ModelInfo& info, int indent = 2);
std::string format_text(const ModelInfo& info);

std::string to_json(const OptimizeReport& report, int indent = 2);
// The per-pass table, reverted passes, the final check (against options.atol/rtol) and the checker.
std::string format_text(const OptimizeReport& report, const OptimizeOptions& options);

std::string to_json(const CompareReport& report, int indent = 2);
std::string format_text(const CompareReport& report);

std::string to_json(const PrecisionReport& report, int indent = 2);
// `max_layers`: rows of the layer table (the JSON has them all).
std::string format_text(const PrecisionReport& report, int max_layers = 10);

// `model` and `options` are what benchmark() was called with; `latencies`: include every timed run.
std::string to_json(const BenchReport& report, const std::string& model, const BenchOptions& options,
                    bool latencies = false, int indent = 1);
// `max_profile_rows`: node rows of the profile table (with options.profile).
std::string format_text(const BenchReport& report, const std::string& model, const BenchOptions& options,
                        size_t max_profile_rows = 40);

}  // namespace edgeinfer::tools
