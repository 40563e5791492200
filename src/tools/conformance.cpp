// tools::run_conformance: runs ONNX's backend test cases (Debian's libonnx-testdata) through Session,
// each in a child process by default so a crashing kernel fails only its own case, counts per op and
// checks a committed expected-pass list.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <regex>
#include <set>
#include <sstream>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "ir/float8.hpp"
#include "model/onnx_model.hpp"

namespace edgeinfer::tools {
namespace {
namespace fs = std::filesystem;

double as_double(const Tensor& t, int64_t i) {
    switch (t.dtype()) {
        case DataType::kFloat32:
            return t.data_as<float>()[i];
        case DataType::kFloat64:
            return t.data_as<double>()[i];
        case DataType::kInt64:
            return static_cast<double>(t.data_as<int64_t>()[i]);
        case DataType::kInt32:
            return t.data_as<int32_t>()[i];
        case DataType::kInt16:
            return t.data_as<int16_t>()[i];
        case DataType::kInt8:
            return t.data_as<int8_t>()[i];
        case DataType::kUInt8:
            return t.data_as<uint8_t>()[i];
        case DataType::kUInt16:
            return t.data_as<uint16_t>()[i];
        case DataType::kUInt32:
            return t.data_as<uint32_t>()[i];
        case DataType::kUInt64:
            return static_cast<double>(t.data_as<uint64_t>()[i]);
        case DataType::kBool:
            return t.data_as<uint8_t>()[i] ? 1.0 : 0.0;
        case DataType::kInt4:  // one per byte in memory
            return t.data_as<int8_t>()[i];
        case DataType::kUInt4:
            return t.data_as<uint8_t>()[i];
        case DataType::kFloat8E4M3FN:
        case DataType::kFloat8E4M3FNUZ:
        case DataType::kFloat8E5M2:
        case DataType::kFloat8E5M2FNUZ:
            return ir::float8_to_float(t.dtype(), t.data_as<uint8_t>()[i]);
        case DataType::kFloat16: {
            uint16_t h = t.data_as<uint16_t>()[i];
            uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
            float f;
            if (exp == 0) {
                f = std::ldexp(static_cast<float>(man), -24);
                return sign ? -f : f;
            }
            uint32_t bits = exp == 31 ? (sign | 0x7f800000u | (man << 13)) : (sign | ((exp + 112) << 23) | (man << 13));
            std::memcpy(&f, &bits, 4);
            return f;
        }
        case DataType::kBFloat16: {
            uint32_t bits = static_cast<uint32_t>(t.data_as<uint16_t>()[i]) << 16;
            float f;
            std::memcpy(&f, &bits, 4);
            return f;
        }
        default:
            return 0;
    }
}

// "" when equal within tolerance (or, with shape_only, of the same dtype and shape), otherwise what
// differs.
std::string compare(const Tensor& expected, const Tensor& actual, double rtol, double atol, bool shape_only) {
    if (expected.dtype() != actual.dtype())
        return "dtype " + std::string(dtype_name(actual.dtype())) + ", expected " +
               std::string(dtype_name(expected.dtype()));
    if (expected.dims() != actual.dims())
        return "shape " + shape_to_string(actual.dims()) + ", expected " + shape_to_string(expected.dims());
    if (shape_only) return "";
    if (expected.dtype() == DataType::kString)
        return expected.string_data() == actual.string_data() ? "" : "string values differ";
    bool is_float = dtype_is_float(expected.dtype()) || dtype_is_float8(expected.dtype());
    // Half-precision outputs: two correct implementations may round an ulp apart (2^-10 relative for
    // float16, 2^-7 for bfloat16), so their tolerances are at least two ulps.
    if (expected.dtype() == DataType::kFloat16) rtol = std::max(rtol, 2e-3), atol = std::max(atol, 1e-4);
    if (expected.dtype() == DataType::kBFloat16) rtol = std::max(rtol, 1.6e-2), atol = std::max(atol, 1e-3);
    for (int64_t i = 0; i < expected.numel(); ++i) {
        double e = as_double(expected, i), a = as_double(actual, i);
        if (is_float) {
            if (std::isnan(e) && std::isnan(a)) continue;
            if (std::isinf(e) && e == a) continue;
            if (std::fabs(a - e) <= atol + rtol * std::fabs(e)) continue;
        } else if (a == e) {
            continue;
        }
        std::ostringstream o;
        o << std::setprecision(8) << "value[" << i << "] = " << a << ", expected " << e;
        return o.str();
    }
    return "";
}

// The same for a sequence or optional output: kinds, presence, lengths, then each tensor.
std::string compare_value(const ir::Value& expected, const NamedTensor& actual, double rtol, double atol,
                          bool shape_only) {
    const bool actual_has = actual.has_value;
    const bool expected_has = !ir::is_optional(expected.kind) || expected.has_element;
    if (expected_has != actual_has)
        return std::string(actual_has ? "holds a value" : "is an empty optional") + ", expected " +
               (expected_has ? "a value" : "an empty optional");
    if (!expected_has) return "";
    if (expected.holds_sequence()) {
        if (actual.kind != ValueKind::kSequence && actual.kind != ValueKind::kOptionalSequence)
            return "a " + std::string(value_kind_name(actual.kind)) + ", expected a sequence";
        if (expected.items.size() != actual.sequence.size())
            return "sequence of " + std::to_string(actual.sequence.size()) + " tensors, expected " +
                   std::to_string(expected.items.size());
        for (size_t i = 0; i < expected.items.size(); ++i) {
            std::string diff = compare(expected.items[i], actual.sequence[i], rtol, atol, shape_only);
            if (!diff.empty()) return "element " + std::to_string(i) + ": " + diff;
        }
        return "";
    }
    if (actual.kind == ValueKind::kSequence || actual.kind == ValueKind::kOptionalSequence)
        return "a " + std::string(value_kind_name(actual.kind)) + ", expected a tensor";
    return compare(expected.tensor, actual.tensor, rtol, atol, shape_only);
}

// An input file as the NamedTensor Session::run takes (sequences and optionals too).
Result<NamedTensor> load_input(const fs::path& p, const ValueDescription& d) {
    if (d.kind == ValueKind::kTensor) {
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, model::load_tensor_file(p.string()));
        return NamedTensor{d.name, std::move(t)};
    }
    EDGEINFER_ASSIGN_OR_RETURN(ir::Value v, model::load_value_file(p.string(), d.kind, d.dtype));
    NamedTensor nt{d.name, v.tensor};
    nt.kind = d.kind;
    nt.sequence = std::move(v.items);
    nt.has_value = !ir::is_optional(v.kind) || v.has_element;
    return nt;
}

std::string op_of(const fs::path& dir) {
    auto m = model::load_model((dir / "model.onnx").string(), {false, false});
    if (!m.is_ok()) return "?";
    std::set<std::string> ops;
    for (const auto& n : m->graph.nodes) ops.insert(n.op_type);
    if (ops.size() == 1) return *ops.begin();
    std::string name = dir.filename().string();
    if (name.size() > 9 && name.substr(name.size() - 9) == "_expanded") return "(expanded)";
    return "(multi-op)";
}

// Whether the case's model draws random numbers: ONNX stores one draw of numpy's generator, which
// no other generator reproduces, so such cases compare only dtypes and shapes (as ONNX's own
// backend runner does for them).
bool draws_random_numbers(const fs::path& dir) {
    static const std::set<std::string> kRandomOps = {"Bernoulli",        "Multinomial",   "RandomNormal",
                                                     "RandomNormalLike", "RandomUniform", "RandomUniformLike"};
    auto m = model::load_model((dir / "model.onnx").string(), {false, false});
    if (!m.is_ok()) return false;
    for (const auto& n : m->graph.nodes)
        if (kRandomOps.count(n.op_type)) return true;
    return false;
}

CaseResult run_case(const fs::path& dir, const ConformanceOptions& args) {
    CaseResult r;
    const bool shape_only = draws_random_numbers(dir);
    SessionOptions opts;
    opts.num_threads = args.threads;
    auto session = Session::create((dir / "model.onnx").string(), opts);
    if (!session.is_ok()) {
        r.outcome =
            session.status().code() == StatusCode::kUnsupported ? CaseOutcome::kUnsupported : CaseOutcome::kFail;
        r.detail = session.status().to_string();
        return r;
    }
    Session& s = *session.value();
    std::vector<fs::path> sets;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty()) {
        r.detail = "no test_data_set_* directory";
        return r;
    }
    for (const fs::path& set : sets) {
        std::vector<NamedTensor> inputs;
        for (size_t k = 0; k < s.inputs().size(); ++k) {
            fs::path p = set / ("input_" + std::to_string(k) + ".pb");
            auto t = load_input(p, s.inputs()[k]);
            if (!t.is_ok()) {
                r.outcome = CaseOutcome::kUnsupported;
                r.detail = "input " + std::to_string(k) + ": " + t.status().to_string();
                return r;
            }
            inputs.push_back(std::move(t).value());
        }
        auto outs = s.run(inputs);
        if (!outs.is_ok()) {
            r.outcome =
                outs.status().code() == StatusCode::kUnsupported ? CaseOutcome::kUnsupported : CaseOutcome::kFail;
            r.detail = set.filename().string() + ": " + outs.status().to_string();
            return r;
        }
        for (size_t k = 0; k < outs->size(); ++k) {
            fs::path p = set / ("output_" + std::to_string(k) + ".pb");
            const ValueDescription& desc = s.outputs()[k];
            auto expected = model::load_value_file(p.string(), desc.kind, desc.dtype);
            if (!expected.is_ok()) {
                r.outcome = CaseOutcome::kUnsupported;
                r.detail = "output " + std::to_string(k) + ": " + expected.status().to_string();
                return r;
            }
            std::string diff = desc.kind == ValueKind::kTensor
                                   ? compare(expected->tensor, (*outs)[k].tensor, args.rtol, args.atol, shape_only)
                                   : compare_value(expected.value(), (*outs)[k], args.rtol, args.atol, shape_only);
            if (!diff.empty()) {
                r.detail = set.filename().string() + ": output '" + (*outs)[k].name + "': " + diff;
                return r;
            }
        }
    }
    r.outcome = CaseOutcome::kPass;
    return r;
}

// Runs one case in a child process so a crashing kernel fails only its own case.
CaseResult run_case_isolated(const fs::path& dir, const ConformanceOptions& args) {
    int fds[2];
    if (pipe(fds) != 0) return run_case(dir, args);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        CaseResult r = run_case(dir, args);
        std::string msg = std::to_string(static_cast<int>(r.outcome)) + "\n" + r.detail;
        ssize_t w = write(fds[1], msg.data(), msg.size());
        (void)w;
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    std::string msg;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CaseResult r;
    if (!WIFEXITED(status) || msg.empty()) {
        r.detail = WIFSIGNALED(status) ? "crashed with signal " + std::to_string(WTERMSIG(status)) : "child failed";
        return r;
    }
    auto nl = msg.find('\n');
    r.outcome = static_cast<CaseOutcome>(std::stoi(msg.substr(0, nl)));
    r.detail = nl == std::string::npos ? "" : msg.substr(nl + 1);
    return r;
}

// Lines "suite/test_name  # comment"; returns name → comment.
std::map<std::string, std::string> read_list(const std::string& path) {
    std::map<std::string, std::string> out;
    if (path.empty()) return out;
    std::ifstream f(path);
    std::string line;
    while (std::getline(f, line)) {
        auto hash = line.find('#');
        std::string comment = hash == std::string::npos ? "" : line.substr(hash + 1);
        std::string name = line.substr(0, hash);
        name.erase(std::remove_if(name.begin(), name.end(), ::isspace), name.end());
        if (!name.empty()) out[name] = comment;
    }
    return out;
}

Status write_expected(const std::string& path, const std::vector<std::string>& passed) {
    std::ofstream f(path);
    f << "# ONNX backend test cases edgeinfer passes; CI fails when one of them stops passing.\n"
      << "# Regenerate: edgeinfer conformance --excluded tests/conformance/excluded.txt --write-expected <this file>\n";
    for (const auto& id : passed) f << id << "\n";
    f.close();
    if (!f) return io_error("--write-expected " + path + ": cannot write the file");
    return Status::ok();
}

// The case directories of one suite, sorted.
std::vector<fs::path> case_dirs(const fs::path& root) {
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec))
        if (e.is_directory() && fs::exists(e.path() / "model.onnx", ec)) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

}  // namespace

Result<ConformanceReport> run_conformance(const ConformanceOptions& args) {
    if (std::error_code ec; !fs::is_directory(args.data_dir, ec))
        return not_found(args.data_dir + ": not a directory (install Debian's libonnx-testdata)");
    auto expected = read_list(args.expected);
    auto excluded = read_list(args.excluded);
    if (!args.expected.empty() && expected.empty()) return not_found("cannot read expected-pass list " + args.expected);
    std::regex filter;
    try {
        filter = std::regex(args.filter.empty() ? ".*" : args.filter);
    } catch (const std::regex_error& e) {
        return invalid_argument("--filter '" + args.filter + "': not a regular expression (" + e.what() + ")");
    }
    ConformanceReport report;
    report.expected = expected.size();
    std::vector<std::string> passed;
    for (const std::string& suite : args.suites) {
        for (const fs::path& dir : case_dirs(fs::path(args.data_dir) / suite)) {
            std::string id = suite + "/" + dir.filename().string();
            if (!std::regex_search(id, filter)) continue;
            if (excluded.count(id)) {
                report.excluded++;
                report.cases.push_back({id, "?", CaseOutcome::kExcluded, excluded[id]});
                continue;
            }
            CaseResult r = args.isolate ? run_case_isolated(dir, args) : run_case(dir, args);
            r.id = id;
            r.op = suite == "node" ? op_of(dir) : suite;
            ConformanceReport::Counts& c = report.per_op[r.op];
            switch (r.outcome) {
                case CaseOutcome::kPass:
                    c.pass++, report.total.pass++;
                    passed.push_back(id);
                    break;
                case CaseOutcome::kFail:
                    c.fail++, report.total.fail++;
                    break;
                case CaseOutcome::kUnsupported:
                    c.unsupported++, report.total.unsupported++;
                    break;
                case CaseOutcome::kExcluded:
                    break;
            }
            if (r.outcome != CaseOutcome::kPass && expected.count(id))
                report.regressions.push_back(id + ": " + r.detail);
            report.cases.push_back(std::move(r));
        }
    }
    if (!args.write_expected.empty()) EDGEINFER_RETURN_IF_ERROR(write_expected(args.write_expected, passed));
    return report;
}

}  // namespace edgeinfer::tools
