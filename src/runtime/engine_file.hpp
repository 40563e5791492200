// runtime engine files (docs/engine.md): a Session's prepared graph (after every optimization pass),
// the input shapes its plans were built for and the kernel each node chose, behind a header naming
// what it was built for (model bytes, edgeinfer and oneDNN versions, CPU ISA, session options) and
// a SHA-256 of the whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"

namespace edgeinfer::runtime {

// Bumped whenever the layout or the meaning of the payload (edgeinfer-domain ops included) changes.
// 2: plans record each node's tactic.
inline constexpr uint32_t kEngineFormatVersion = 2;

// Ordered (field, value) pairs; a file is used only when every field equals this session's.
using EngineHeader = std::vector<std::pair<std::string, std::string>>;

// One plan of the saved session: the shapes it was built for and the implementation each node chose.
struct EnginePlan {
    std::vector<DataType> input_dtypes;            // runtime inputs, model order
    std::vector<std::vector<int64_t>> input_dims;  // same order
    std::vector<std::string> implementations;      // per compiled node; "" when the kernel named none
    std::vector<std::string> tactics;              // per compiled node: "direct", "winograd", "winograd_4x3" or ""
};

struct EngineFile {
    uint32_t format_version = kEngineFormatVersion;
    EngineHeader header;
    std::string graph;  // the prepared model as ONNX protobuf (edgeinfer-domain ops included)
    std::vector<EnginePlan> plans;
};

// Lower-case hex SHA-256 of `size` bytes.
std::string sha256_hex(const void* data, size_t size);

// oneDNN's effective CPU ISA, e.g. "avx512_core_amx" (ONEDNN_MAX_CPU_ISA lowers it); on aarch64 the level
// its kernels dispatch on, "asimd" or "sve_<vector bits>" (base::aarch64_isa_name).
std::string effective_isa_name();

// "x [1x3x8x8]..[8x3x8x8] opt [4x3x8x8]" and "profile 0: x [...]..[...] opt [...] y ...; profile 1: ...":
// the text of engine headers and of the messages about profiles.
std::string shape_range_text(const InputShapeRange& range);
std::string shape_profiles_text(const std::vector<ShapeProfile>& profiles);

// The header a session with these settings has now: edgeinfer_version, onednn_version, cpu_isa
// (effective_isa_name()), model_sha256, precision, optimization_level, keep_fp32_nodes, num_threads, tactics, and
// shape_profiles when the options have any.
EngineHeader make_engine_header(const std::string& model_sha256, const SessionOptions& options, int threads);

// Engine cache (SessionOptions::engine_cache_dir): the entry's file name for a session whose header is
// `header`: "<SHA-256 of the format version and every header field, hex>.engine". Any field that differs
// (model bytes and external data, options, ISA, versions) names another entry.
std::string engine_cache_file_name(const EngineHeader& header);

// "" when `found` has exactly the fields of `expected`; otherwise every difference, e.g.
// "cpu_isa is 'avx2' in the file but 'avx512_core_bf16' here".
std::string header_mismatch(const EngineHeader& expected, const EngineHeader& found);

// Serializes `engine` (magic, format version, header, payload, SHA-256 of everything before it).
std::string encode_engine(const EngineFile& engine);

// Decodes engine bytes; errors name `name` and what is wrong (not an engine file, truncated,
// checksum mismatch, malformed payload). A format_version other than kEngineFormatVersion is
// returned as decoded with only the header read (the caller reports the mismatch).
// `verify_checksum` = false only lets fuzzers reach the payload decoder.
Result<EngineFile> decode_engine(const void* data, size_t size, const std::string& name, bool verify_checksum = true);

// A whole file in one read (sized first; no per-byte stream iteration).
Result<std::string> read_file_bytes(const std::string& path);
Result<EngineFile> read_engine_file(const std::string& path);
// Writes through a temporary file (unique per process and call) renamed over `path`, so readers never see a
// partial file and two writers of the same path (processes or threads) leave one whole file.
Status write_engine_file(const std::string& path, const EngineFile& engine);

}  // namespace edgeinfer::runtime
