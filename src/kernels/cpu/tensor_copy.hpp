// kernels::cpu::StridedCopy: copies a strided view of a tensor into a dense buffer (implemented in tensor_copy.cpp;
// Transpose, Slice, Tile, Expand, DepthToSpace and SpaceToDepth are all one such copy).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernel.hpp"

namespace edgeinfer::kernels::cpu {

// dst[i0, ..., ik] (dense, row-major over `dims`) = src[offset + sum(ij * strides[j])], in elements.
// Strides may be 0 (broadcast) or negative (reversed). Built once in prepare; dims are merged and
// size-1 dims dropped so run loops over as few, as long rows as possible.
class StridedCopy : public KernelState {
  public:
    StridedCopy() = default;
    StridedCopy(std::vector<int64_t> dims, std::vector<int64_t> strides, int64_t offset, size_t elem_size);

    void run(const void* src, void* dst) const;
    int64_t numel() const { return numel_; }
    // The copy after merging: dims, strides and offset in elements of elem_size() bytes.
    const std::vector<int64_t>& dims() const { return dims_; }
    const std::vector<int64_t>& strides() const { return strides_; }
    int64_t offset() const { return offset_; }
    size_t elem_size() const { return elem_size_; }

  private:
    std::vector<int64_t> dims_;
    std::vector<int64_t> strides_;
    int64_t offset_ = 0;
    int64_t numel_ = 0;
    size_t elem_size_ = 0;
};

}  // namespace edgeinfer::kernels::cpu
