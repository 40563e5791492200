// Checked byte counts and allocations: every size that comes from a model, an input or a computed
// shape is checked for overflow and against a memory limit before anything is allocated, and an
// allocation failure is StatusCode::kResourceExhausted naming the value, never std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"

namespace edgeinfer::ir {

// The machine's physical memory in bytes (the default memory limit); 0 when unknown.
size_t physical_memory_bytes();
// `limit` when it is not 0, else physical_memory_bytes() (unlimited when that is unknown too).
size_t effective_memory_limit(size_t limit);

// Element count of `dims`: kInvalidArgument for a negative dim, kResourceExhausted when the product
// overflows int64. `what` names the value in messages ("input 'x'", "Range 'r' output 0").
Result<int64_t> checked_numel(const std::vector<int64_t>& dims, const std::string& what);
// Bytes of a tensor of `dtype` and `dims` (strings count as 0): checked_numel plus the byte-count
// overflow and `limit` (0: no limit) checks.
Result<size_t> checked_bytes(DataType dtype, const std::vector<int64_t>& dims, const std::string& what,
                             size_t limit = 0);
// Whether checked_bytes would succeed, without building a message (allocation-free: for per-run checks).
bool fits_in_bytes(DataType dtype, const std::vector<int64_t>& dims, size_t limit = 0);
// Tensor::allocate behind checked_bytes, with std::bad_alloc turned into kResourceExhausted.
Result<Tensor> allocate_checked(DataType dtype, const std::vector<int64_t>& dims, const std::string& what,
                                size_t limit = 0);
// "4G", "512M", "64k", "1.5GiB" or a plain byte count (binary units, B/iB optional) as bytes;
// kInvalidArgument naming the text otherwise. 0 means "the default" to callers (physical memory).
Result<size_t> parse_byte_size(std::string_view text);
// "12.5 GiB", "3.0 MiB", "512 bytes".
std::string format_bytes(double bytes);

}  // namespace edgeinfer::ir
