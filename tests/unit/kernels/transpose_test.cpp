// Transpose, DepthToSpace, Slice (kernels/cpu/tensor_copy.cpp): gathers of 16 KB and more run as oneDNN reorders on
// 32-bit or byte units where oneDNN has a jit kernel (x86-64), smaller or contiguous ones through StridedCopy's loops.
// Either way every element's bytes arrive unchanged (NaN payloads, -0, int64 and 16-byte complex values), checked
// against a reference gather for each element size and the permutations the layout passes and attention models use.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../passes/pass_test_util.hpp"
#include "kernels/registry.hpp"

namespace edgeinfer {
namespace {

struct Ran {
    std::string impl;
    std::vector<int64_t> dims;
    std::vector<uint8_t> bytes;
};

// Creates, prepares and runs `node` on `in` (in[0] variable, the others constants) at `threads` threads.
Ran run_node(const ir::Node& node, const std::vector<const Tensor*>& in, int threads) {
    const std::string label = node.op_type + " '" + node.name + "'";
    std::vector<DataType> types;
    std::vector<const Tensor*> constants;
    std::vector<kernels::TensorDesc> descs;
    for (size_t i = 0; i < in.size(); ++i) {
        types.push_back(in[i]->dtype());
        constants.push_back(i == 0 ? nullptr : in[i]);
        descs.push_back({in[i]->dtype(), in[i]->dims(), true});
    }
    kernels::CreateContext cctx{node, label, 13, types, constants};
    Ran r;
    auto def = kernels::default_registry().find(cctx);
    EXPECT_TRUE(def.is_ok()) << def.status().to_string();
    if (!def.is_ok()) return r;
    auto kernel = (*def)->factory(cctx);
    EXPECT_TRUE(kernel.is_ok());
    if (!kernel.is_ok()) return r;
    omp_set_num_threads(threads);
    kernels::PrepareContext pctx(node, label, descs, constants, 1);
    Status prepared = (*kernel)->prepare(pctx);
    EXPECT_TRUE(prepared.is_ok()) << prepared.to_string();
    if (!prepared.is_ok()) return r;
    r.impl = pctx.implementation();
    r.dims = pctx.outputs().at(0).dims;
    Tensor y = Tensor::allocate(in[0]->dtype(), r.dims);
    std::memset(y.data(), 0x5A, y.nbytes());
    auto state = pctx.take_state();
    kernels::RunContext rctx;
    rctx.inputs = in;
    rctx.outputs = {&y};
    rctx.state = state.get();
    rctx.num_threads = threads;
    rctx.label = &label;
    Status ran = (*kernel)->run(rctx);
    EXPECT_TRUE(ran.is_ok()) << ran.to_string();
    const uint8_t* p = static_cast<const uint8_t*>(y.data());
    r.bytes.assign(p, p + y.nbytes());
    return r;
}

Ran run_transpose(const Tensor& x, const std::vector<int64_t>& perm, int threads) {
    ir::Node node;
    node.op_type = "Transpose";
    node.name = "t";
    node.inputs = {"x"};
    node.outputs = {"y"};
    node.attributes.push_back(testing::attr_is("perm", perm));
    return run_node(node, {&x}, threads);
}

// The transposed bytes, element by element.
std::vector<uint8_t> reference(const Tensor& x, const std::vector<int64_t>& perm) {
    const std::vector<int64_t>& d = x.dims();
    const size_t rank = d.size(), es = dtype_size(x.dtype());
    std::vector<int64_t> in_strides(rank, 1);
    for (size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * d[i];
    std::vector<int64_t> out_dims(rank);
    for (size_t i = 0; i < rank; ++i) out_dims[i] = d[perm[i]];
    std::vector<uint8_t> out(x.nbytes());
    const uint8_t* src = static_cast<const uint8_t*>(x.data());
    std::vector<int64_t> coord(rank, 0);
    for (int64_t k = 0; k < x.numel(); ++k) {
        int64_t off = 0;
        for (size_t i = 0; i < rank; ++i) off += coord[i] * in_strides[perm[i]];
        std::memcpy(&out[k * es], src + off * es, es);
        for (size_t i = rank; i-- > 0;) {
            if (++coord[i] < out_dims[i]) break;
            coord[i] = 0;
        }
    }
    return out;
}

// Random bytes, with NaN payloads and -0 among the 4-byte values.
Tensor random_tensor(DataType dtype, const std::vector<int64_t>& dims, uint32_t seed) {
    Tensor t = Tensor::allocate(dtype, dims);
    std::mt19937 rng(seed);
    uint8_t* p = static_cast<uint8_t*>(t.data());
    for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng());
    if (dtype == DataType::kFloat32 && t.numel() > 2) {
        const uint32_t special[] = {0x7FA00001u, 0x80000000u};  // a signalling NaN with a payload, -0
        std::memcpy(p, &special[0], 4);
        std::memcpy(p + 4, &special[1], 4);
    }
    if (dtype == DataType::kBool)
        for (size_t i = 0; i < t.nbytes(); ++i) p[i] &= 1;
    return t;
}

struct Case {
    DataType dtype;
    std::vector<int64_t> dims, perm;
};

TEST(TransposeKernel, LargeGathersCopyEveryBitOfEveryElementSize) {
    const std::vector<Case> cases = {
        {DataType::kFloat32, {1, 3, 96, 96}, {0, 2, 3, 1}},        // image NCHW -> NHWC (the layout pass's first node)
        {DataType::kFloat32, {1, 28, 28, 64}, {0, 3, 1, 2}},       // NHWC -> NCHW
        {DataType::kFloat32, {1, 21, 37, 41}, {0, 2, 3, 1}},       // odd channel count and sizes
        {DataType::kFloat32, {8, 33, 64}, {2, 0, 1}},              // 3-D
        {DataType::kFloat32, {2, 4, 6, 10, 12}, {0, 4, 1, 2, 3}},  // 5-D channels-last
        {DataType::kInt64, {1, 16, 20, 20}, {0, 2, 3, 1}},         // 8-byte elements: two 32-bit units each
        {DataType::kComplex128, {3, 40, 50}, {2, 0, 1}},           // 16-byte elements
        {DataType::kUInt8, {1, 3, 128, 128}, {0, 2, 3, 1}},        // bytes
        {DataType::kBool, {1, 64, 32, 32}, {0, 2, 3, 1}},
        {DataType::kFloat16, {1, 32, 24, 24}, {0, 2, 3, 1}},  // 2-byte elements: two byte units each
        {DataType::kBFloat16, {4, 64, 48}, {0, 2, 1}},
    };
    uint32_t seed = 1;
    for (const Case& c : cases) {
        const Tensor x = random_tensor(c.dtype, c.dims, seed++);
        const std::string name = std::string(dtype_name(c.dtype)) + " " + shape_to_string(c.dims);
        for (int threads : {1, 2}) {
            const Ran r = run_transpose(x, c.perm, threads);
            EXPECT_TRUE(r.bytes == reference(x, c.perm)) << name << " at " << threads << " thread(s), " << r.impl;
        }
        const std::string impl = run_transpose(x, c.perm, 1).impl;
        std::printf("%s perm %s: %s\n", name.c_str(), shape_to_string(c.perm).c_str(),
                    impl.empty() ? "loops" : impl.c_str());
#if defined(__x86_64__)
        // oneDNN has jit reorders for every one of these on x86-64: the gather must have gone there.
        EXPECT_EQ(impl.rfind("onednn:reorder:jit", 0), 0u) << name;
#endif
    }
}

TEST(TransposeKernel, SmallOrContiguousCopiesStayOnTheLoops) {
    // 96 bytes: a oneDNN call would cost more than the copy.
    const Tensor small = random_tensor(DataType::kFloat32, {2, 3, 4}, 7);
    const Ran a = run_transpose(small, {2, 0, 1}, 1);
    EXPECT_EQ(a.impl, "");
    EXPECT_TRUE(a.bytes == reference(small, {2, 0, 1}));
    // The innermost dim stays innermost (attention heads, size-1 dims moved): whole rows are copied, no gather.
    const std::vector<Case> rows = {{DataType::kFloat32, {1, 64, 1, 512}, {2, 1, 0, 3}},
                                    {DataType::kFloat32, {2, 8, 49, 32}, {0, 2, 1, 3}},
                                    {DataType::kFloat32, {8, 33, 64}, {1, 0, 2}}};
    for (const Case& c : rows) {
        const Tensor x = random_tensor(c.dtype, c.dims, 8);
        for (int threads : {1, 2}) {
            const Ran b = run_transpose(x, c.perm, threads);
            EXPECT_EQ(b.impl, "") << shape_to_string(c.dims);
            EXPECT_TRUE(b.bytes == reference(x, c.perm)) << shape_to_string(c.dims);
        }
    }
}

// DepthToSpace (DCR) and a Slice stepping by 2 on the innermost axis from an offset gather too: same reorder,
// the Slice's start applied as the source offset.
TEST(TransposeKernel, DepthToSpaceAndSteppedSliceGatherThroughTheSameReorder) {
    const Tensor x = random_tensor(DataType::kFloat32, {1, 64, 24, 24}, 11);
    ir::Node d2s;
    d2s.op_type = "DepthToSpace";
    d2s.name = "d2s";
    d2s.inputs = {"x"};
    d2s.outputs = {"y"};
    d2s.attributes.push_back(testing::attr_i("blocksize", 2));
    const Ran a = run_node(d2s, {&x}, 2);
    // y[n, c, h*2 + i, w*2 + j] = x[n, (i*2 + j)*16 + c, h, w]
    std::vector<float> want(static_cast<size_t>(x.numel()));
    const float* xs = x.data_as<float>();
    for (int64_t c = 0; c < 16; ++c)
        for (int64_t h = 0; h < 48; ++h)
            for (int64_t w = 0; w < 48; ++w)
                want[(c * 48 + h) * 48 + w] = xs[(((h % 2) * 2 + w % 2) * 16 + c) * 576 + (h / 2) * 24 + w / 2];
    ASSERT_EQ(a.bytes.size(), want.size() * 4);
    EXPECT_EQ(std::memcmp(a.bytes.data(), want.data(), a.bytes.size()), 0);

    ir::Node slice;
    slice.op_type = "Slice";
    slice.name = "slice";
    slice.inputs = {"x", "starts", "ends", "axes", "steps"};
    slice.outputs = {"y"};
    const Tensor starts = Tensor::from_vector<int64_t>(DataType::kInt64, {2}, {3, 1});
    const Tensor ends = Tensor::from_vector<int64_t>(DataType::kInt64, {2}, {60, 24});
    const Tensor axes = Tensor::from_vector<int64_t>(DataType::kInt64, {2}, {1, 3});
    const Tensor steps = Tensor::from_vector<int64_t>(DataType::kInt64, {2}, {1, 2});
    const Ran b = run_node(slice, {&x, &starts, &ends, &axes, &steps}, 1);
    ASSERT_EQ(b.dims, (std::vector<int64_t>{1, 57, 24, 12}));
    std::vector<float> want_b;
    for (int64_t c = 3; c < 60; ++c)
        for (int64_t h = 0; h < 24; ++h)
            for (int64_t w = 1; w < 24; w += 2) want_b.push_back(xs[(c * 24 + h) * 24 + w]);
    ASSERT_EQ(b.bytes.size(), want_b.size() * 4);
    EXPECT_EQ(std::memcmp(b.bytes.data(), want_b.data(), b.bytes.size()), 0);
#if defined(__x86_64__)
    EXPECT_EQ(a.impl.rfind("onednn:reorder:jit", 0), 0u) << a.impl;
    EXPECT_EQ(b.impl.rfind("onednn:reorder:jit", 0), 0u) << b.impl;
#endif
}

}  // namespace
}  // namespace edgeinfer
