// Helpers for the oneDNN-backed CPU kernels: exception → Status, scratch layout, packed-weight cache.
#pragma once

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

// Executes `prim` on the calling thread's stream and waits.
inline void onednn_execute(const dnnl::primitive& prim, const std::unordered_map<int, dnnl::memory>& args) {
    dnnl::stream& s = onednn_stream();
    prim.execute(s, args);
    s.wait();
}

// Memory over a caller's buffer (no copy); const_cast because oneDNN takes void* for every handle.
inline dnnl::memory wrap_memory(const dnnl::memory::desc& md, const void* data) {
    return dnnl::memory(md, onednn_engine(), const_cast<void*>(data));
}

// Runs a reorder between two memories, with a user scratchpad when the reorder needs one.
inline void onednn_reorder(const dnnl::reorder& r, const dnnl::memory& from, const dnnl::memory& to, void* scratchpad,
                           const dnnl::memory::desc& scratchpad_md) {
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    if (scratchpad_md.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, wrap_memory(scratchpad_md, scratchpad));
    onednn_execute(r, args);
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
