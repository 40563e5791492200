// Engine file encoding, decoding (every length and count checked against the bytes left) and header fields.
//
// Layout (integers little-endian):
//   "EIENGINE"  u32 format_version  u32 field_count  {u32 len, key, u32 len, value} * field_count
//   u64 payload_size  payload  sha256(everything before it, 32 bytes)
// payload:
//   u64 graph_size  graph (ONNX protobuf)  u32 plan_count
//   per plan: u32 input_count {u32 dtype, u32 rank, i64 dims[rank]} * input_count
//             u32 node_count {u32 len, implementation} * node_count
#include "runtime/engine_file.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <oneapi/dnnl/dnnl.hpp>

#include "base/cpu_features.hpp"
#include "base/status.hpp"

#ifndef EDGEINFER_VERSION
#define EDGEINFER_VERSION "unknown"
#endif

namespace edgeinfer::runtime {
namespace {

constexpr char kMagic[8] = {'E', 'I', 'E', 'N', 'G', 'I', 'N', 'E'};
constexpr size_t kChecksumBytes = 32;
constexpr uint32_t kMaxFields = 64;
constexpr uint32_t kMaxRank = 16;
constexpr int64_t kMaxElements = int64_t{1} << 40;

void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_u64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_string(std::string& out, const std::string& s) {
    put_u32(out, static_cast<uint32_t>(s.size()));
    out += s;
}

// Reads from a byte range; every read checks the bytes left and names what it was reading.
class Reader {
  public:
    Reader(const uint8_t* data, size_t size, std::string name) : p_(data), left_(size), name_(std::move(name)) {}

    size_t left() const { return left_; }
    size_t offset(const uint8_t* base) const { return static_cast<size_t>(p_ - base); }

    Status u32(uint32_t& v, const char* what) {
        uint64_t w = 0;
        EDGEINFER_RETURN_IF_ERROR(bytes_le(4, w, what));
        v = static_cast<uint32_t>(w);
        return Status::ok();
    }
    Status u64(uint64_t& v, const char* what) { return bytes_le(8, v, what); }
    Status string(std::string& s, const char* what, size_t max_size) {
        uint32_t n = 0;
        EDGEINFER_RETURN_IF_ERROR(u32(n, what));
        if (n > max_size) return bad(std::string(what) + " is " + std::to_string(n) + " bytes, more than allowed");
        return raw(s, n, what);
    }
    Status raw(std::string& s, uint64_t n, const char* what) {
        if (n > left_) return truncated(what);
        s.assign(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
        p_ += n;
        left_ -= static_cast<size_t>(n);
        return Status::ok();
    }
    Status truncated(const std::string& what) const {
        return invalid_argument(name_ + ": engine file is truncated (ends inside " + what + ")");
    }
    Status bad(const std::string& what) const { return invalid_argument(name_ + ": malformed engine file: " + what); }

  private:
    Status bytes_le(int n, uint64_t& v, const char* what) {
        if (left_ < static_cast<size_t>(n)) return truncated(what);
        v = 0;
        for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
        p_ += n;
        left_ -= static_cast<size_t>(n);
        return Status::ok();
    }

    const uint8_t* p_;
    size_t left_;
    std::string name_;
};

#if !defined(__aarch64__)
std::string isa_name(dnnl::cpu_isa isa) {
    switch (isa) {
        case dnnl::cpu_isa::all:
            return "all";
        case dnnl::cpu_isa::sse41:
            return "sse41";
        case dnnl::cpu_isa::avx:
            return "avx";
        case dnnl::cpu_isa::avx2:
            return "avx2";
        case dnnl::cpu_isa::avx2_vnni:
            return "avx2_vnni";
        case dnnl::cpu_isa::avx512_mic:
            return "avx512_mic";
        case dnnl::cpu_isa::avx512_mic_4ops:
            return "avx512_mic_4ops";
        case dnnl::cpu_isa::avx512_core:
            return "avx512_core";
        case dnnl::cpu_isa::avx512_core_vnni:
            return "avx512_core_vnni";
        case dnnl::cpu_isa::avx512_core_bf16:
            return "avx512_core_bf16";
        case dnnl::cpu_isa::avx512_core_amx:
            return "avx512_core_amx";
    }
    return "isa_" + std::to_string(static_cast<int>(isa));
}
#endif

}  // namespace

std::string effective_isa_name() {
#if defined(__aarch64__)
    // oneDNN's cpu_isa enum names x86 levels only; on aarch64 its values are bits of another enum (a
    // Cortex-A72 reads as "sse41" through it). Name the level its aarch64 kernels dispatch on instead.
    base::CpuFeatures f = base::cpu_features();
    return base::aarch64_isa_name(f.features, f.sve_bits);
#else
    return isa_name(dnnl::get_effective_cpu_isa());
#endif
}

namespace {

// Sorted, deduplicated, each quoted with \ and ' escaped: equal lists give equal text, no two differ.
std::string names_text(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string out;
    for (const std::string& n : names) {
        if (!out.empty()) out += ", ";
        out += '\'';
        for (char c : n) {
            if (c == '\\' || c == '\'') out += '\\';
            out += c;
        }
        out += '\'';
    }
    return out;
}

Status decode_payload(Reader& r, EngineFile& e) {
    uint64_t graph_size = 0;
    EDGEINFER_RETURN_IF_ERROR(r.u64(graph_size, "the graph size"));
    EDGEINFER_RETURN_IF_ERROR(r.raw(e.graph, graph_size, "the graph"));
    uint32_t plans = 0;
    EDGEINFER_RETURN_IF_ERROR(r.u32(plans, "the plan count"));
    if (plans > r.left() / 8) return r.bad("plan count " + std::to_string(plans) + " exceeds the bytes left");
    for (uint32_t p = 0; p < plans; ++p) {
        EnginePlan plan;
        uint32_t inputs = 0;
        EDGEINFER_RETURN_IF_ERROR(r.u32(inputs, "a plan's input count"));
        if (inputs > r.left() / 8) return r.bad("input count " + std::to_string(inputs) + " exceeds the bytes left");
        for (uint32_t k = 0; k < inputs; ++k) {
            uint32_t dtype = 0, rank = 0;
            EDGEINFER_RETURN_IF_ERROR(r.u32(dtype, "an input dtype"));
            if (dtype == 0 || dtype > 16)
                return r.bad("plan " + std::to_string(p) + ": unknown input dtype " + std::to_string(dtype));
            EDGEINFER_RETURN_IF_ERROR(r.u32(rank, "an input rank"));
            if (rank > kMaxRank) return r.bad("plan " + std::to_string(p) + ": input rank " + std::to_string(rank));
            std::vector<int64_t> dims(rank);
            int64_t numel = 1;
            for (uint32_t d = 0; d < rank; ++d) {
                uint64_t v = 0;
                EDGEINFER_RETURN_IF_ERROR(r.u64(v, "an input dim"));
                if (v > static_cast<uint64_t>(kMaxElements) ||
                    (v > 0 && numel > kMaxElements / static_cast<int64_t>(v)))
                    return r.bad("plan " + std::to_string(p) + ": input " + std::to_string(k) + " is too large");
                dims[d] = static_cast<int64_t>(v);
                numel *= dims[d];
            }
            plan.input_dtypes.push_back(static_cast<DataType>(dtype));
            plan.input_dims.push_back(std::move(dims));
        }
        uint32_t nodes = 0;
        EDGEINFER_RETURN_IF_ERROR(r.u32(nodes, "a plan's node count"));
        if (nodes > r.left() / 4) return r.bad("node count " + std::to_string(nodes) + " exceeds the bytes left");
        plan.implementations.resize(nodes);
        for (uint32_t i = 0; i < nodes; ++i)
            EDGEINFER_RETURN_IF_ERROR(r.string(plan.implementations[i], "a kernel name", 4096));
        plan.tactics.resize(nodes);
        for (uint32_t i = 0; i < nodes; ++i) EDGEINFER_RETURN_IF_ERROR(r.string(plan.tactics[i], "a tactic name", 256));
        e.plans.push_back(std::move(plan));
    }
    if (r.left() != 0) return r.bad(std::to_string(r.left()) + " unexpected bytes after the plans");
    return Status::ok();
}

}  // namespace

std::string sha256_hex(const void* data, size_t size) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EDGEINFER_CHECK(EVP_Digest(data, size, md, &len, EVP_sha256(), nullptr) == 1 && len == kChecksumBytes,
                    "SHA-256 failed");
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 15];
    }
    return out;
}

EngineHeader make_engine_header(const std::string& model_sha256, const SessionOptions& options, int threads) {
    const dnnl::version_t* v = dnnl::version();
    std::string onednn = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    EngineHeader h = {{"edgeinfer_version", EDGEINFER_VERSION},
                      {"onednn_version", onednn},
                      {"cpu_isa", effective_isa_name()},
                      {"model_sha256", model_sha256},
                      {"precision", std::string(to_string(options.precision))},
                      {"optimization_level", std::string(to_string(options.optimization_level))},
                      {"keep_fp32_nodes", names_text(options.keep_fp32_nodes)},
                      {"num_threads", std::to_string(threads)},
                      {"tactics", std::string(to_string(options.tactics))}};
    // Only with profiles, so files saved before profiles existed (and sessions without them) still match.
    if (!options.shape_profiles.empty()) h.emplace_back("shape_profiles", shape_profiles_text(options.shape_profiles));
    return h;
}

std::string engine_cache_file_name(const EngineHeader& header) {
    std::string text("edgeinfer engine cache, format ");
    text += std::to_string(kEngineFormatVersion);
    text += '\n';
    for (const auto& [field, value] : header) {
        text += field;
        text += '=';
        text += value;
        text += '\n';
    }
    return sha256_hex(text.data(), text.size()) + ".engine";
}

std::string shape_range_text(const InputShapeRange& r) {
    return r.name + " [" + shape_to_string(r.min) + "]..[" + shape_to_string(r.max) + "] opt [" +
           shape_to_string(r.opt) + "]";
}

std::string shape_profiles_text(const std::vector<ShapeProfile>& profiles) {
    std::string out;
    for (size_t p = 0; p < profiles.size(); ++p) {
        if (p) out += "; ";
        out += "profile ";
        out += std::to_string(p);
        out += ":";
        for (const InputShapeRange& r : profiles[p].inputs) {
            out += ' ';
            out += shape_range_text(r);
        }
    }
    return out;
}

std::string header_mismatch(const EngineHeader& expected, const EngineHeader& found) {
    std::string out;
    auto add = [&out](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
    for (const auto& want : expected) {  // (no structured bindings: clang 14 cannot capture them)
        auto it = std::find_if(found.begin(), found.end(), [&](const auto& f) { return f.first == want.first; });
        if (it == found.end())
            add(want.first + " is missing from the file");
        else if (it->second != want.second)
            add(want.first + " is '" + it->second + "' in the file but '" + want.second + "' here");
    }
    for (const auto& have : found)
        if (std::none_of(expected.begin(), expected.end(), [&](const auto& x) { return x.first == have.first; }))
            add("the file has an unknown field '" + have.first + "'");
    return out;
}

std::string encode_engine(const EngineFile& engine) {
    std::string out(kMagic, sizeof(kMagic));
    put_u32(out, engine.format_version);
    put_u32(out, static_cast<uint32_t>(engine.header.size()));
    for (const auto& [key, value] : engine.header) {
        put_string(out, key);
        put_string(out, value);
    }
    std::string payload;
    put_u64(payload, engine.graph.size());
    payload += engine.graph;
    put_u32(payload, static_cast<uint32_t>(engine.plans.size()));
    for (const EnginePlan& p : engine.plans) {
        put_u32(payload, static_cast<uint32_t>(p.input_dims.size()));
        for (size_t k = 0; k < p.input_dims.size(); ++k) {
            put_u32(payload, static_cast<uint32_t>(p.input_dtypes[k]));
            put_u32(payload, static_cast<uint32_t>(p.input_dims[k].size()));
            for (int64_t d : p.input_dims[k]) put_u64(payload, static_cast<uint64_t>(d));
        }
        put_u32(payload, static_cast<uint32_t>(p.implementations.size()));
        for (const std::string& s : p.implementations) put_string(payload, s);
        for (size_t i = 0; i < p.implementations.size(); ++i)
            put_string(payload, i < p.tactics.size() ? p.tactics[i] : std::string());
    }
    put_u64(out, payload.size());
    out += payload;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EDGEINFER_CHECK(EVP_Digest(out.data(), out.size(), md, &len, EVP_sha256(), nullptr) == 1, "SHA-256 failed");
    out.append(reinterpret_cast<const char*>(md), len);
    return out;
}

Result<EngineFile> decode_engine(const void* data, size_t size, const std::string& name, bool verify_checksum) {
    const auto* base = static_cast<const uint8_t*>(data);
    if (size < sizeof(kMagic) || std::memcmp(base, kMagic, sizeof(kMagic)) != 0)
        return invalid_argument(name + ": not an edgeinfer engine file (" + std::to_string(size) +
                                " bytes; it does not start with \"EIENGINE\")");
    Reader r(base + sizeof(kMagic), size - sizeof(kMagic), name);
    EngineFile e;
    EDGEINFER_RETURN_IF_ERROR(r.u32(e.format_version, "the format version"));
    if (e.format_version != kEngineFormatVersion) return e;  // other layout: the caller reports the version
    uint32_t fields = 0;
    EDGEINFER_RETURN_IF_ERROR(r.u32(fields, "the header field count"));
    if (fields > kMaxFields) return r.bad("header has " + std::to_string(fields) + " fields");
    for (uint32_t i = 0; i < fields; ++i) {
        std::string key, value;
        EDGEINFER_RETURN_IF_ERROR(r.string(key, "a header field name", 256));
        EDGEINFER_RETURN_IF_ERROR(r.string(value, "a header field value", 1 << 20));
        e.header.emplace_back(std::move(key), std::move(value));
    }
    uint64_t payload_size = 0;
    EDGEINFER_RETURN_IF_ERROR(r.u64(payload_size, "the payload size"));
    const size_t payload_offset = r.offset(base);
    const size_t left = r.left();
    if (left < kChecksumBytes || payload_size > left - kChecksumBytes)
        return invalid_argument(name + ": engine file is truncated: " + std::to_string(size) +
                                " bytes, its header says " +
                                std::to_string(payload_offset + payload_size + kChecksumBytes));
    if (payload_size < left - kChecksumBytes)
        return invalid_argument(name + ": malformed engine file: " + std::to_string(size) + " bytes, its header says " +
                                std::to_string(payload_offset + payload_size + kChecksumBytes));
    if (verify_checksum) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        const size_t covered = payload_offset + static_cast<size_t>(payload_size);
        EDGEINFER_CHECK(EVP_Digest(base, covered, md, &len, EVP_sha256(), nullptr) == 1, "SHA-256 failed");
        if (len != kChecksumBytes || std::memcmp(md, base + covered, kChecksumBytes) != 0)
            return invalid_argument(name + ": engine file is corrupt (SHA-256 checksum mismatch)");
    }
    Reader payload(base + payload_offset, static_cast<size_t>(payload_size), name);
    EDGEINFER_RETURN_IF_ERROR(decode_payload(payload, e));
    return e;
}

Result<std::string> read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return io_error(path + ": cannot open for reading");
    std::streamoff size = in.tellg();
    if (size < 0) return io_error(path + ": cannot tell its size");
    std::string bytes(static_cast<size_t>(size), '\0');
    in.seekg(0);
    in.read(bytes.data(), size);
    if (in.gcount() != size)
        return io_error(path + ": read " + std::to_string(in.gcount()) + " of " + std::to_string(size) + " bytes");
    return bytes;
}

Result<EngineFile> read_engine_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return not_found(path + ": no such engine file");
    EDGEINFER_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(path));
    return decode_engine(bytes.data(), bytes.size(), path);
}

Status write_engine_file(const std::string& path, const EngineFile& engine) {
    std::string bytes = encode_engine(engine);
    static std::atomic<unsigned> counter{0};  // one temporary file per writer process and call
    std::string tmp = path + ".tmp" + std::to_string(getpid()) + "." + std::to_string(counter++);
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) return io_error(path + ": cannot open '" + tmp + "' for writing");
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        f.close();
        if (!f) return io_error(path + ": write failed");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return io_error(path + ": cannot rename '" + tmp + "' to it: " + ec.message());
    return Status::ok();
}

}  // namespace edgeinfer::runtime
