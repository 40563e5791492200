// .npy decoding (validated: it reads untrusted files) and encoding.
#include "ir/npy.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "base/status.hpp"
#include "ir/float8.hpp"

namespace edgeinfer::ir {
namespace {

struct DescrEntry {
    const char* descr;
    DataType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DataType::kFloat32}, {"<f8", DataType::kFloat64}, {"<i8", DataType::kInt64},  {"<i4", DataType::kInt32},
    {"<i2", DataType::kInt16},   {"|i1", DataType::kInt8},    {"|u1", DataType::kUInt8},  {"<u2", DataType::kUInt16},
    {"<u4", DataType::kUInt32},  {"<u8", DataType::kUInt64},  {"|b1", DataType::kBool},   {"<f2", DataType::kFloat16},
};

// Value of 'key' in the header dict, up to the next top-level comma or closing brace.
bool dict_value(const std::string& h, const std::string& key, std::string& out) {
    auto k = h.find("'" + key + "'");
    if (k == std::string::npos) return false;
    auto colon = h.find(':', k);
    if (colon == std::string::npos) return false;
    size_t i = colon + 1;
    while (i < h.size() && h[i] == ' ') ++i;
    size_t j = i;
    if (j < h.size() && h[j] == '(') {
        j = h.find(')', j);
        if (j == std::string::npos) return false;
        ++j;
    } else {
        while (j < h.size() && h[j] != ',' && h[j] != '}') ++j;
    }
    out = h.substr(i, j - i);
    return true;
}

}  // namespace

Result<Tensor> decode_npy(const void* data, size_t size, const std::string& name) {
    const auto* b = static_cast<const uint8_t*>(data);
    if (size < 10 || std::memcmp(b, "\x93NUMPY", 6) != 0) return invalid_argument(name + ": not a .npy file");
    uint8_t major = b[6];
    size_t header_len, header_start;
    if (major == 1) {
        header_len = b[8] | (b[9] << 8);
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) return invalid_argument(name + ": truncated .npy header");
        header_len = b[8] | (b[9] << 8) | (static_cast<size_t>(b[10]) << 16) | (static_cast<size_t>(b[11]) << 24);
        header_start = 12;
    } else {
        return invalid_argument(name + ": unsupported .npy version " + std::to_string(major));
    }
    if (header_len > size - header_start) return invalid_argument(name + ": truncated .npy header");
    std::string h(reinterpret_cast<const char*>(b + header_start), header_len);
    std::string descr, fortran, shape;
    if (!dict_value(h, "descr", descr) || !dict_value(h, "fortran_order", fortran) || !dict_value(h, "shape", shape))
        return invalid_argument(name + ": malformed .npy header");
    descr.erase(std::remove(descr.begin(), descr.end(), '\''), descr.end());
    DataType dtype = DataType::kUndefined;
    for (const auto& e : kDescrs)
        if (descr == e.descr) dtype = e.dtype;
    if (dtype == DataType::kUndefined) return unsupported(name + ": unsupported .npy dtype '" + descr + "'");
    if (fortran.find("True") != std::string::npos)
        return unsupported(name + ": Fortran-ordered .npy arrays are not supported (save with np.ascontiguousarray)");
    std::vector<int64_t> dims;
    size_t i = 0;
    while (i < shape.size()) {
        if (isdigit(static_cast<unsigned char>(shape[i]))) {
            size_t j = i;
            while (j < shape.size() && isdigit(static_cast<unsigned char>(shape[j]))) ++j;
            if (j - i > 15) return invalid_argument(name + ": .npy dimension too large");
            dims.push_back(std::stoll(shape.substr(i, j - i)));
            i = j;
        } else {
            ++i;
        }
    }
    int64_t numel = 1;
    for (int64_t d : dims) {
        if (d != 0 && numel > (int64_t{1} << 40) / d) return invalid_argument(name + ": .npy array too large");
        numel *= d;
    }
    size_t bytes = static_cast<size_t>(numel) * dtype_size(dtype);
    size_t offset = header_start + header_len;
    if (size - offset < bytes)
        return invalid_argument(name + ": .npy data is truncated (" + std::to_string(size - offset) + " bytes, shape " +
                                shape_to_string(dims) + " needs " + std::to_string(bytes) + ")");
    return Tensor::copy_of(dtype, dims, b + offset);
}

Result<Tensor> read_npy(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return not_found(path + ": cannot open .npy file");
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return decode_npy(bytes.data(), bytes.size(), path);
}

std::string encode_npy(const Tensor& tensor) {
    // NumPy has no 8-bit float or 4-bit integer types: float8 is written as the float32 values it holds,
    // int4/uint4 (one per byte in memory) as int8/uint8.
    Tensor t = tensor;
    if (dtype_is_float8(tensor.dtype())) {
        t = Tensor::allocate(DataType::kFloat32, tensor.dims());
        for (int64_t i = 0; i < t.numel(); ++i)
            t.data_as<float>()[i] = float8_to_float(tensor.dtype(), tensor.data_as<uint8_t>()[i]);
    } else if (dtype_is_int4(tensor.dtype())) {
        t = Tensor::wrap(tensor.dtype() == DataType::kInt4 ? DataType::kInt8 : DataType::kUInt8, tensor.dims(),
                         const_cast<void*>(tensor.data()));
    }
    std::string descr = "<f4";
    for (const auto& e : kDescrs)
        if (e.dtype == t.dtype()) descr = e.descr;
    std::string shape = "(";
    for (size_t i = 0; i < t.dims().size(); ++i) shape += std::to_string(t.dims()[i]) + (t.dims().size() == 1 ? "," : i + 1 < t.dims().size() ? ", " : "");
    shape += ")";
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>((header.size() >> 8) & 0xff);
    out += header;
    out.append(static_cast<const char*>(t.data()), t.nbytes());
    return out;
}

Status write_npy(const std::string& path, const Tensor& tensor) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return io_error(path + ": cannot open for writing");
    std::string bytes = encode_npy(tensor);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) return io_error(path + ": write failed");
    return Status::ok();
}

}  // namespace edgeinfer::ir
