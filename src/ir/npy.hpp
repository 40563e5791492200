// NumPy .npy files ⇄ edgeinfer::Tensor (for `edgeinfer run`, compare and tests).
#pragma once

#include <string>

#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"

namespace edgeinfer::ir {

// Decodes .npy bytes (format 1.0-3.0, little-endian, C order). `name` names the file in messages.
Result<Tensor> decode_npy(const void* data, size_t size, const std::string& name);
Result<Tensor> read_npy(const std::string& path);
std::string encode_npy(const Tensor& tensor);
Status write_npy(const std::string& path, const Tensor& tensor);

}  // namespace edgeinfer::ir
