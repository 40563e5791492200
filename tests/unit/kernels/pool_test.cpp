// MaxUnpool (kernels/cpu/pool.cpp): MaxPool's indices round trip on a 1-D pool with padding, a
// larger output_shape keeping coordinates, empty inputs and an index outside the output. Max pooling's NaN
// propagation on each of the kernel's paths (oneDNN, plain C++ with Indices, global, channels-last), and the
// channels-last float32 one-pass max pooling against brute force on odd channel counts and geometries, and
// channels-last float32 GlobalAveragePool's sums in pixel order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// 2-D max pooling of one (H, W) plane, stride 1, no padding, written out here: a window with a NaN is NaN and
// its index is the window's first NaN (row-major), else the first maximum.
void brute_force_max(const std::vector<float>& x, int64_t h, int64_t w, int64_t k, std::vector<float>& y,
                     std::vector<int64_t>& idx) {
    for (int64_t i = 0; i + k <= h; ++i)
        for (int64_t j = 0; j + k <= w; ++j) {
            float best = -INFINITY;
            int64_t at = -1;
            for (int64_t a = i; a < i + k; ++a)
                for (int64_t b = j; b < j + k; ++b) {
                    const float v = x[a * w + b];
                    if (std::isnan(best)) continue;
                    if (at < 0 || std::isnan(v) || v > best) {
                        best = v;
                        at = a * w + b;
                    }
                }
            y.push_back(best);
            idx.push_back(at);
        }
}

void expect_same_floats(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
        if (std::isnan(want[i]))
            EXPECT_TRUE(std::isnan(got[i])) << what << " element " << i << " is " << got[i];
        else
            EXPECT_EQ(got[i], want[i]) << what << " element " << i;
    }
}

TEST(MaxPoolKernel, AWindowHoldingNaNIsNaNOnEveryPath) {
    // Two 4x5 planes; NaN first, inside and last in 2x2 windows of plane 0, none in plane 1 (also +-inf).
    std::vector<float> x(40);
    for (int i = 0; i < 40; ++i) x[i] = static_cast<float>((i * 7) % 11) - 5.0f;
    x[1] = kNaN, x[12] = kNaN, x[19] = kNaN, x[25] = INFINITY, x[33] = -INFINITY;
    std::vector<float> want;
    std::vector<int64_t> want_idx;
    for (int c = 0; c < 2; ++c) {
        std::vector<float> plane(x.begin() + 20 * c, x.begin() + 20 * (c + 1)), y;
        std::vector<int64_t> idx;
        brute_force_max(plane, 4, 5, 2, y, idx);
        want.insert(want.end(), y.begin(), y.end());
        for (int64_t i : idx) want_idx.push_back(i + 20 * c);
    }
    ASSERT_TRUE(std::isnan(want[0]) && !std::isnan(want[2]) && std::isnan(want[11]) && !std::isnan(want[12]));
    const auto kernel = attr_is("kernel_shape", {2, 2});
    {  // oneDNN's path, NaN found by the scan
        ModelBuilder b(12);
        b.input("x", {1, 2, 4, 5}).output("y");
        b.node("MaxPool", {"x"}, {"y"}, "pool", {kernel});
        auto out = try_run(b.build(), {{"x", floats({1, 2, 4, 5}, x)}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        expect_same_floats(values_of<float>((*out)[0].tensor), want, "MaxPool");
    }
    {  // the plain path, with the Indices output
        ModelBuilder b(12);
        b.input("x", {1, 2, 4, 5}).output("y").output("i", DataType::kInt64);
        b.node("MaxPool", {"x"}, {"y", "i"}, "pool", {kernel});
        auto out = try_run(b.build(), {{"x", floats({1, 2, 4, 5}, x)}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        expect_same_floats(values_of<float>((*out)[0].tensor), want, "MaxPool with Indices");
        EXPECT_EQ(values_of<int64_t>((*out)[1].tensor), want_idx);
    }
    {  // channels-last (edgeinfer domain, as passes/channels_last.cpp makes it): x is (N, H, W, C)
        std::vector<float> nhwc(40), want_nhwc(24);
        for (int c = 0; c < 2; ++c)
            for (int p = 0; p < 20; ++p) nhwc[p * 2 + c] = x[c * 20 + p];
        for (int c = 0; c < 2; ++c)
            for (int p = 0; p < 12; ++p) want_nhwc[p * 2 + c] = want[c * 12 + p];
        ModelBuilder b(12);
        b.m.opset_imports.push_back({"edgeinfer", 1});
        b.input("x", {1, 4, 5, 2}).output("y");
        b.node("MaxPool", {"x"}, {"y"}, "pool", {kernel, attr_i("channels_last", 1)});
        b.m.graph.nodes.back().domain = "edgeinfer";
        auto out = try_run(b.m, {{"x", floats({1, 4, 5, 2}, nhwc)}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 3, 4, 2}));
        expect_same_floats(values_of<float>((*out)[0].tensor), want_nhwc, "channels-last MaxPool");
    }
    {  // GlobalMaxPool and a 1-D MaxPool: NaN in channel 0 only
        ModelBuilder b(12);
        b.input("x", {1, 2, 20}).output("g").output("y");
        b.node("GlobalMaxPool", {"x"}, {"g"}, "global");
        b.node("MaxPool", {"x"}, {"y"}, "pool1d", {attr_is("kernel_shape", {3}), attr_is("strides", {3})});
        auto out = try_run(b.build(), {{"x", floats({1, 2, 20}, x)}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        expect_same_floats(values_of<float>((*out)[0].tensor), {kNaN, INFINITY}, "GlobalMaxPool");
        // Windows [0, 3), [3, 6), ... of each channel: NaN at 1, 12 and 19 (19 is in no window: 20 = 6 * 3 + 2).
        expect_same_floats(
            values_of<float>((*out)[1].tensor),
            {kNaN, std::max({x[3], x[4], x[5]}), std::max({x[6], x[7], x[8]}), std::max({x[9], x[10], x[11]}), kNaN,
             std::max({x[15], x[16], x[17]}), std::max({x[20], x[21], x[22]}), std::max({x[23], x[24], x[25]}),
             std::max({x[26], x[27], x[28]}), std::max({x[29], x[30], x[31]}), std::max({x[32], x[33], x[34]}),
             std::max({x[35], x[36], x[37]})},
            "1-D MaxPool");
    }
}

// One channels-last MaxPool case: x is (n, h, w, c), or (n, w, c) when one_d (then h = 1 and k[0] = 1).
struct NhwcCase {
    int64_t n, h, w, c;
    std::vector<int64_t> k, s, d, pads;  // pads: h begin, w begin, h end, w end (ONNX order)
    bool ceil_mode = false, one_d = false;
};

// Channels-last max pooling written out for output dims (oh, ow): the window's taps inside the input, NaN when
// one is NaN, else their maximum.
std::vector<float> brute_force_max_nhwc(const std::vector<float>& x, const NhwcCase& p, int64_t oh, int64_t ow) {
    std::vector<float> y;
    for (int64_t b = 0; b < p.n; ++b)
        for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j)
                for (int64_t ch = 0; ch < p.c; ++ch) {
                    float best = -INFINITY;
                    for (int64_t u = 0; u < p.k[0]; ++u)
                        for (int64_t v = 0; v < p.k[1]; ++v) {
                            const int64_t r = i * p.s[0] - p.pads[0] + u * p.d[0];
                            const int64_t q = j * p.s[1] - p.pads[1] + v * p.d[1];
                            if (r < 0 || r >= p.h || q < 0 || q >= p.w) continue;
                            const float val = x[((b * p.h + r) * p.w + q) * p.c + ch];
                            if (std::isnan(val) || std::isnan(best))
                                best = kNaN;
                            else
                                best = std::max(best, val);
                        }
                    y.push_back(best);
                }
    return y;
}

// A session over one edgeinfer-domain node `op` (x -> y, input dims `dims`): no graph optimization, two threads,
// profiling on, so a test can check which kernel ran.
Result<std::unique_ptr<Session>> profiled_edgeinfer_node(const std::string& op, const std::vector<ir::Attribute>& attrs,
                                                         const std::vector<int64_t>& dims) {
    ModelBuilder b(12);
    b.m.opset_imports.push_back({"edgeinfer", 1});
    b.input("x", dims).output("y");
    b.node(op, {"x"}, {"y"}, "pool", attrs);
    b.m.graph.nodes.back().domain = "edgeinfer";
    auto bytes = model::serialize_model(b.m);
    if (!bytes.is_ok()) return bytes.status();
    SessionOptions opts;
    opts.optimization_level = GraphOptimizationLevel::kNone;
    opts.num_threads = 2;
    opts.enable_profiling = true;
    return Session::create_from_bytes(bytes->data(), bytes->size(), opts);
}

TEST(MaxPoolKernel, ChannelsLastFloat32RunsInOnePassAndMatchesBruteForce) {
    const std::vector<NhwcCase> cases = {
        // squeezenet's: two full 32-channel blocks, ceil_mode's last window clipped by the input's end
        {1, 12, 12, 64, {3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}, true},
        // resnet's stem geometry, 37 channels (a block and a 5-channel tail), batch 2
        {2, 9, 8, 37, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}},
        // 3 channels (a tail only), unequal kernel, strides, dilations and pads
        {1, 7, 9, 3, {2, 3}, {1, 2}, {2, 1}, {0, 1, 1, 0}},
        {1, 1, 15, 20, {1, 4}, {1, 3}, {1, 1}, {0, 2, 0, 1}, false, true},  // 1-D
        {1, 5, 6, 33, {5, 6}, {1, 1}, {1, 1}, {0, 0, 0, 0}},                // one window: the whole plane
        // 20x21x48 outputs: enough for the two threads to split the rows
        {1, 40, 41, 48, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, true},
    };
    for (const NhwcCase& p : cases) {
        const std::string name = "c=" + std::to_string(p.c) + " " + std::to_string(p.h) + "x" + std::to_string(p.w) +
                                 (p.one_d ? " 1-D" : "");
        auto last = [&](const std::vector<int64_t>& v) {  // the W value alone for 1-D
            return p.one_d ? std::vector<int64_t>{v[1]} : v;
        };
        const std::vector<ir::Attribute> attrs = {
            attr_i("channels_last", 1),
            attr_is("kernel_shape", last(p.k)),
            attr_is("strides", last(p.s)),
            attr_is("dilations", last(p.d)),
            attr_is("pads", p.one_d ? std::vector<int64_t>{p.pads[1], p.pads[3]} : p.pads),
            attr_i("ceil_mode", p.ceil_mode ? 1 : 0)};
        const std::vector<int64_t> dims =
            p.one_d ? std::vector<int64_t>{p.n, p.w, p.c} : std::vector<int64_t>{p.n, p.h, p.w, p.c};
        auto session = profiled_edgeinfer_node("MaxPool", attrs, dims);
        ASSERT_TRUE(session.is_ok()) << name << ": " << session.status().to_string();

        // Finite values first (the one pass's answer), then NaN in some windows and +-inf (the redo's answer).
        std::mt19937 rng(static_cast<uint32_t>(p.c * 131 + p.w));
        std::uniform_real_distribution<float> u(-4.0f, 4.0f);
        std::vector<float> x(static_cast<size_t>(p.n * p.h * p.w * p.c));
        for (float& v : x) v = u(rng);
        for (int with_nan = 0; with_nan < 2; ++with_nan) {
            if (with_nan) {
                x[5 % x.size()] = kNaN;
                x[x.size() / 2] = kNaN;
                x[x.size() - 1] = kNaN;
                x[x.size() / 3] = INFINITY;
                x[x.size() / 4] = -INFINITY;
            }
            auto out = session.value()->run({{"x", floats(dims, x)}});
            ASSERT_TRUE(out.is_ok()) << name << ": " << out.status().to_string();
            const auto& yd = (*out)[0].tensor.dims();
            ASSERT_EQ(yd.size(), dims.size()) << name;
            const int64_t oh = p.one_d ? 1 : yd[1], ow = yd[yd.size() - 2];
            expect_same_floats(values_of<float>((*out)[0].tensor), brute_force_max_nhwc(x, p, oh, ow),
                               name + (with_nan ? " with NaN" : ""));
        }
        const auto prof = session.value()->profile();
        ASSERT_EQ(prof.size(), 1u) << name;
        EXPECT_EQ(prof[0].kernel, "cpu:max_pool_nhwc") << name;
    }
}

TEST(GlobalAveragePoolKernel, ChannelsLastFloat32SumsEachChannelInPixelOrder) {
    // (n, h, w, c): odd channel counts, a 512-channel sweep plus a tail, batch 2; two threads split the channels.
    const std::vector<std::vector<int64_t>> cases = {{2, 7, 5, 37}, {1, 3, 3, 600}, {1, 12, 12, 16}, {1, 56, 56, 40}};
    for (const auto& dims : cases) {
        const int64_t n = dims[0], pixels = dims[1] * dims[2], c = dims[3];
        const std::string name = "GlobalAveragePool " + std::to_string(dims[1]) + "x" + std::to_string(dims[2]) + "x" +
                                 std::to_string(c) + " batch " + std::to_string(n);
        auto session = profiled_edgeinfer_node("GlobalAveragePool", {attr_i("channels_last", 1)}, dims);
        ASSERT_TRUE(session.is_ok()) << name << ": " << session.status().to_string();
        std::mt19937 rng(static_cast<uint32_t>(c + pixels));
        std::uniform_real_distribution<float> u(-3.0f, 3.0f);
        std::vector<float> x(static_cast<size_t>(n * pixels * c));
        for (float& v : x) v = u(rng);
        auto out = session.value()->run({{"x", floats(dims, x)}});
        ASSERT_TRUE(out.is_ok()) << name << ": " << out.status().to_string();
        EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{n, 1, 1, c})) << name;
        std::vector<float> want;
        for (int64_t i = 0; i < n; ++i)
            for (int64_t ch = 0; ch < c; ++ch) {
                float sum = 0.0f;  // float, pixel after pixel: the exact value oneDNN gives too
                for (int64_t p = 0; p < pixels; ++p) sum += x[static_cast<size_t>((i * pixels + p) * c + ch)];
                want.push_back(sum / static_cast<float>(pixels));
            }
        EXPECT_EQ(values_of<float>((*out)[0].tensor), want) << name;
        const auto prof = session.value()->profile();
        ASSERT_EQ(prof.size(), 1u) << name;
        EXPECT_EQ(prof[0].kernel, "cpu:global_avg_pool_nhwc") << name;
    }
}

TEST(MaxUnpoolKernel, RoundTripsMaxPoolIndicesWithPadding) {
    // MaxPool 1-D, kernel 2, stride 2, pads [1, 1] over x [1, 2, 4]; MaxUnpool puts the maxima back.
    ModelBuilder b(11);
    b.input("x", {1, 2, 4}).output("y");
    b.node("MaxPool", {"x"}, {"p", "i"}, "pool",
           {attr_is("kernel_shape", {2}), attr_is("strides", {2}), attr_is("pads", {1, 1})});
    b.node("MaxUnpool", {"p", "i"}, {"y"}, "unpool",
           {attr_is("kernel_shape", {2}), attr_is("strides", {2}), attr_is("pads", {1, 1})});
    auto out = try_run(b.build(), {{"x", floats({1, 2, 4}, {1, 5, 2, 3, 9, 1, 7, 4})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 2, 4}));
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{1, 5, 0, 3, 9, 0, 7, 4}));
}

TEST(MaxUnpoolKernel, ALargerOutputShapeKeepsCoordinates) {
    ModelBuilder b(11);
    b.input("x", {1, 1, 1, 2}).input("i", {1, 1, 1, 2}, DataType::kInt64).output("y");
    b.init("shape", int64s({1, 1, 3, 5}));
    b.node("MaxUnpool", {"x", "i", "shape"}, {"y"}, "unpool",
           {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2})});
    // Default output 2x4: index 5 is (1, 1), index 2 is (0, 2).
    auto out = try_run(b.build(), {{"x", floats({1, 1, 1, 2}, {7, 8})}, {"i", int64s_shaped({1, 1, 1, 2}, {5, 2})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    std::vector<float> expect(15, 0.0f);
    expect[1 * 5 + 1] = 7;
    expect[0 * 5 + 2] = 8;
    EXPECT_EQ(values_of<float>((*out)[0].tensor), expect);
}

TEST(MaxUnpoolKernel, EmptyInputAndAnIndexOutsideTheOutput) {
    ModelBuilder b(11);
    b.input("x", {-1, 1, 2}).input("i", {-1, 1, 2}, DataType::kInt64).output("y");
    b.node("MaxUnpool", {"x", "i"}, {"y"}, "unpool", {attr_is("kernel_shape", {2}), attr_is("strides", {2})});
    ir::Model m = b.build();
    auto empty = try_run(m, {{"x", floats({0, 1, 2}, {})}, {"i", int64s_shaped({0, 1, 2}, {})}});
    ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
    EXPECT_EQ((*empty)[0].tensor.dims(), (std::vector<int64_t>{0, 1, 4}));
    auto bad = try_run(m, {{"x", floats({1, 1, 2}, {1, 2})}, {"i", int64s_shaped({1, 1, 2}, {0, 4})}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(bad.status().message().find("MaxUnpool 'unpool'"), std::string::npos) << bad.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing
