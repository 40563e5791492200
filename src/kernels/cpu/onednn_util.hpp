// Helpers for the oneDNN-backed CPU kernels: exception → Status, scratch layout, packed-weight cache,
// fused activations (edgeinfer:FusedConv / FusedGemm's activation attribute) as eltwise post-ops.
#pragma once

#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {

// Runs `fn` (returning Status) and turns a dnnl::error into a Status naming `label`:
// Unsupported when oneDNN has no implementation for the configuration, Internal otherwise.
template <typename F>
Status onednn_guard(const std::string& label, F&& fn) {
    try {
        return fn();
    } catch (const dnnl::error& e) {
        std::string msg = label + ": oneDNN: " + e.what();
        if (e.status == dnnl_unimplemented) return unsupported(msg);
        return internal_error(msg);
    }
}

// A primitive attribute whose scratchpad comes from the caller (the Plan's scratch arena).
inline dnnl::primitive_attr user_scratch_attr() {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return attr;
}

// Plain row-major f32 memory descriptor for `dims`.
inline dnnl::memory::desc plain_f32_md(const std::vector<int64_t>& dims) {
    return dnnl::memory::desc(to_dnnl_dims(dims), dnnl::memory::data_type::f32, strides_of(dims));
}

// oneDNN's type for uint8, int8, int32 and bfloat16; f32 for everything else.
inline dnnl::memory::data_type dnnl_type(DataType t) {
    switch (t) {
        case DataType::kUInt8:
            return dnnl::memory::data_type::u8;
        case DataType::kInt8:
            return dnnl::memory::data_type::s8;
        case DataType::kInt32:
            return dnnl::memory::data_type::s32;
        case DataType::kBFloat16:
            return dnnl::memory::data_type::bf16;
        default:
            return dnnl::memory::data_type::f32;
    }
}

// oneDNN's effective ISA (ONEDNN_MAX_CPU_ISA included) has every feature of `want`; the ISA values
// are bit sets (avx512_core_amx includes avx512_core_bf16, avx2_vnni does not).
inline bool cpu_isa_has(dnnl::cpu_isa want) {
    auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    auto w = static_cast<unsigned>(want);
    return (isa & w) == w;
}

// oneDNN 2.6's AMX 1x1 int8 convolution ("jit_1x1:avx512_core_amx_int8", the one oneDNN picks for int8
// with a source zero point, which its brgemm AMX convolutions do not take) stores whole 16-row tiles:
// on 6x6 outputs (36 rows) it writes 12 rows (12 x OC values) past the end of dst, into whatever the
// plan's arena holds there: another live value, or this convolution's own source while the other
// threads still read it (outputs then differ from run to run at 2 threads). Moves `pd` past that
// implementation (the next, jit:avx512_core_amx_int8, keeps to its buffers; matmul's brgemm AMX does
// too); false when none is left, `pd` then unchanged. Call it before reading pd's memory descriptors, while
// the operation descriptor `pd` was made from is alive (oneDNN's iterator points at it: with a temporary
// one next_impl() reports no further implementation). The bf16 sibling (jit_1x1:avx512_core_amx_bf16,
// next after brgconv_1x1:avx512_core_amx_bf16 on 1x1 convolutions) overruns the same way (12 rows past
// a 6x6 NHWC output: tests/unit/kernels/onednn_buffers_test.cpp with it forced); oneDNN picked brgconv_1x1
// on every shape tried, and conv.cpp skips it all the same.
template <typename PrimitiveDesc>
bool skip_out_of_bounds_impls(PrimitiveDesc& pd) {
    auto overruns = [](const std::string& info) {
        return info.rfind("jit_1x1:", 0) == 0 && info.find("amx") != std::string::npos;
    };
    while (overruns(pd.impl_info_str()))
        if (!pd.next_impl()) return false;
    return true;
}

// An edgeinfer-domain node's output_type attribute (ONNX type: 1 float, the default, or 16
// bfloat16, set by passes/bf16_regions): "" and `bf16` set, or why it is not usable.
inline std::string parse_output_type(const ir::Node& node, bool& bf16) {
    int64_t t = node.attr_int("output_type", 1);
    if (t != 1 && t != 16) return "output_type " + std::to_string(t) + " is not supported (1 float or 16 bfloat16)";
    bf16 = t == 16;
    return "";
}

// Carves one 64-byte aligned scratch buffer into regions; offsets are fixed in prepare.
class ScratchLayout {
  public:
    // Reserves `bytes` and returns the region's offset.
    size_t add(size_t bytes) {
        size_t offset = total_;
        total_ += (bytes + 63) / 64 * 64;
        return offset;
    }
    size_t total() const { return total_; }
    static void* at(void* base, size_t offset) { return static_cast<char*>(base) + offset; }

  private:
    size_t total_ = 0;
};

// Memory over a caller's buffer (no copy); const_cast because oneDNN takes void* for every handle.
inline dnnl::memory wrap_memory(const dnnl::memory::desc& md, const void* data) {
    return dnnl::memory(md, onednn_engine(), const_cast<void*>(data));
}

// A primitive with its argument memories created once (in prepare). execute() only re-points
// data handles at this run's buffers, so running allocates nothing in edgeinfer code.
class BoundPrimitive {
  public:
    BoundPrimitive() = default;
    explicit BoundPrimitive(dnnl::primitive prim) : prim_(std::move(prim)) {}

    // An argument whose buffer is given at each execute(); skipped when `md` is empty.
    void arg(int id, const dnnl::memory::desc& md) {
        if (md.get_size() > 0) add(id, dnnl::memory(md, onednn_engine(), DNNL_MEMORY_NONE));
    }
    // An argument fixed for the primitive's lifetime (e.g. packed constant weights).
    void fixed(int id, dnnl::memory mem) { add(id, std::move(mem)); }
    explicit operator bool() const { return static_cast<bool>(prim_); }

    // Null buffers are ignored: fixed arguments keep their memory. Uses the C entry point with
    // the argument array built in prepare (the C++ wrapper would build a vector on every call).
    void execute(std::initializer_list<std::pair<int, const void*>> buffers) const {
        for (const auto& [id, ptr] : buffers) {
            if (ptr == nullptr) continue;
            for (const auto& [arg_id, mem] : mems_)
                if (arg_id == id) mem.set_data_handle(const_cast<void*>(ptr));
        }
        dnnl::stream& s = onednn_stream();
        dnnl::error::wrap_c_api(
            dnnl_primitive_execute(prim_.get(), s.get(), static_cast<int>(c_args_.size()), c_args_.data()),
            "could not execute a primitive");
        s.wait();
    }

  private:
    void add(int id, dnnl::memory mem) {
        mems_.emplace_back(id, std::move(mem));
        c_args_.clear();
        for (const auto& [arg_id, m] : mems_) c_args_.push_back({arg_id, m.get()});
    }

    dnnl::primitive prim_;
    std::vector<std::pair<int, dnnl::memory>> mems_;
    std::vector<dnnl_exec_arg_t> c_args_;
};

// A reorder `from` → `to` with a user scratchpad, bound once; `scratchpad` receives its size. `attr`
// (scales, zero points) must ask for a user scratchpad too.
inline BoundPrimitive bound_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to,
                                    dnnl::memory::desc& scratchpad,
                                    const dnnl::primitive_attr& attr = user_scratch_attr()) {
    auto& eng = onednn_engine();
    dnnl::reorder::primitive_desc pd(eng, from, eng, to, attr);
    scratchpad = pd.scratchpad_desc();
    BoundPrimitive r{dnnl::reorder(pd)};
    r.arg(DNNL_ARG_FROM, from);
    r.arg(DNNL_ARG_TO, to);
    r.arg(DNNL_ARG_SCRATCHPAD, scratchpad);
    return r;
}

// One oneDNN eltwise post-op; an activation is one or two of them (HardSigmoid: linear then clip).
struct Eltwise {
    dnnl::algorithm alg = dnnl::algorithm::eltwise_relu;
    float alpha = 0.0f;
    float beta = 0.0f;
};

// Reads the optional "activation"/"activation_params" attributes; returns "" or why they are not usable.
inline std::string parse_activation(const ir::Node& node, std::vector<Eltwise>& act) {
    const ir::Attribute* a = node.find_attribute("activation");
    if (a == nullptr) return "";
    if (a->kind != ir::Attribute::Kind::kString) return "attribute 'activation' must be a string";
    const std::string& name = a->s;
    std::vector<float> p;
    if (const ir::Attribute* ap = node.find_attribute("activation_params")) p = ap->floats;
    auto param = [&](size_t i, float fallback) { return i < p.size() ? p[i] : fallback; };
    using dnnl::algorithm;
    if (name == "Relu") {
        act.push_back({algorithm::eltwise_relu, 0.0f, 0.0f});
    } else if (name == "LeakyRelu") {
        act.push_back({algorithm::eltwise_relu, param(0, 0.01f), 0.0f});
    } else if (name == "Clip") {
        act.push_back({algorithm::eltwise_clip, param(0, std::numeric_limits<float>::lowest()),
                       param(1, std::numeric_limits<float>::max())});
    } else if (name == "Sigmoid") {
        act.push_back({algorithm::eltwise_logistic, 0.0f, 0.0f});
    } else if (name == "HardSigmoid") {  // max(0, min(1, alpha * x + beta))
        act.push_back({algorithm::eltwise_linear, param(0, 0.2f), param(1, 0.5f)});
        act.push_back({algorithm::eltwise_clip, 0.0f, 1.0f});
    } else if (name == "HardSwish") {  // x * max(0, min(1, x / 6 + 1 / 2)): oneDNN's hardswish
        act.push_back({algorithm::eltwise_hardswish, 0.0f, 0.0f});
    } else if (name == "Tanh") {
        act.push_back({algorithm::eltwise_tanh, 0.0f, 0.0f});
    } else if (name == "SiLU") {  // x * sigmoid(x)
        act.push_back({algorithm::eltwise_swish, 1.0f, 0.0f});
    } else if (name == "Elu") {
        act.push_back({algorithm::eltwise_elu, param(0, 1.0f), 0.0f});
    } else if (name == "Softplus") {
        act.push_back({algorithm::eltwise_soft_relu, 0.0f, 0.0f});
    } else if (name == "Gelu") {
        act.push_back({algorithm::eltwise_gelu_erf, 0.0f, 0.0f});
    } else {
        return "fused activation '" + name + "' is not supported";
    }
    return "";
}

// Appends `act` to `ops` as eltwise post-ops.
inline void append_activation(dnnl::post_ops& ops, const std::vector<Eltwise>& act) {
    for (const Eltwise& e : act) ops.append_eltwise(1.0f, e.alg, e.alpha, e.beta);
}

// ONNX's auto_pad attribute, shared by convolution and pooling.
enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

inline bool parse_auto_pad(const std::string& s, AutoPad& out) {
    if (s == "NOTSET" || s.empty()) {
        out = AutoPad::kNotSet;
    } else if (s == "SAME_UPPER") {
        out = AutoPad::kSameUpper;
    } else if (s == "SAME_LOWER") {
        out = AutoPad::kSameLower;
    } else if (s == "VALID") {
        out = AutoPad::kValid;
    } else {
        return false;
    }
    return true;
}

// The sliding-window attributes convolutions and pooling share.
struct WindowAttrs {
    AutoPad auto_pad = AutoPad::kNotSet;
    std::vector<int64_t> kernel_shape, strides, dilations, pads;
};

// Reads auto_pad, kernel_shape, strides, dilations and pads; "" or why they are not usable (strides
// and dilations must be >= 1, pads >= 0). What each op requires beyond that stays with the op.
inline std::string parse_window_attrs(const ir::Node& node, WindowAttrs& a) {
    if (!parse_auto_pad(node.attr_string("auto_pad", "NOTSET"), a.auto_pad))
        return "auto_pad '" + node.attr_string("auto_pad", "") +
               "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID";
    a.kernel_shape = node.attr_ints("kernel_shape");
    a.strides = node.attr_ints("strides");
    a.dilations = node.attr_ints("dilations");
    a.pads = node.attr_ints("pads");
    for (int64_t s : a.strides)
        if (s < 1) return "strides must be >= 1";
    for (int64_t d : a.dilations)
        if (d < 1) return "dilations must be >= 1";
    for (int64_t p : a.pads)
        if (p < 0) return "negative pads are not supported";
    return "";
}

// oneDNN's channels-last format for a tensor of `rank` 3, 4 or 5 (NWC, NHWC, NDHWC).
inline dnnl::memory::format_tag channels_last_format(size_t rank) {
    using tag = dnnl::memory::format_tag;
    return rank == 3 ? tag::nwc : rank == 4 ? tag::nhwc : tag::ndhwc;
}

// oneDNN's logical weights of an ONNX Conv W [M, C/g, k...] (or, with `transpose`, ConvTranspose W
// [C, M/g, k...]): dims ([g,] out/g, in/g, k...) and the ONNX tensor's strides in that order, so a
// memory::desc(dims, type, strides) reads W where it lies.
inline void onnx_conv_weights_layout(const std::vector<int64_t>& w, int64_t group, bool transpose,
                                     dnnl::memory::dims& dims, dnnl::memory::dims& strides) {
    const std::vector<int64_t> k(w.begin() + 2, w.end());
    const std::vector<int64_t> ks = strides_of(k);
    const int64_t ksize = shape_numel(k);
    const int64_t out_channels = transpose ? w[1] * group : w[0];
    const int64_t in_channels = transpose ? w[0] : w[1] * group;
    const int64_t ocg = out_channels / group, icg = in_channels / group;
    dims.clear();
    strides.clear();
    if (group > 1) {
        dims.push_back(group);
        strides.push_back(ocg * icg * ksize);
    }
    dims.push_back(ocg);
    dims.push_back(icg);
    if (!transpose) {  // [M, C/g, k...]
        strides.push_back(icg * ksize);
        strides.push_back(ksize);
    } else {  // [C, M/g, k...]
        strides.push_back(ksize);
        strides.push_back(ocg * ksize);
    }
    dims.insert(dims.end(), k.begin(), k.end());
    strides.insert(strides.end(), ks.begin(), ks.end());
}

// Constant weights reordered once per layout a primitive asks for, shared by every shape's state.
// The returned memory stays valid after the cache dies (dnnl::memory is reference counted).
class PackedWeightsCache {
  public:
    // `plain` describes `data` (which must outlive the kernel); returns it in layout `packed`.
    dnnl::memory get(const dnnl::memory::desc& plain, const void* data, const dnnl::memory::desc& packed) {
        if (plain == packed) return wrap_memory(plain, data);
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [md, mem] : entries_)
            if (md == packed) return mem;
        dnnl::memory out(packed, onednn_engine());
        dnnl::memory in = wrap_memory(plain, data);
        dnnl::reorder(in, out).execute(onednn_stream(), in, out);
        onednn_stream().wait();
        entries_.emplace_back(packed, out);
        return out;
    }

  private:
    std::mutex mu_;
    std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> entries_;
};

}  // namespace edgeinfer::kernels::cpu
