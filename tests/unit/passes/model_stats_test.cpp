// compute_model_stats: MACs of convolutions, with and without the kernel taps that read padding
// (effective MACs), checked against a brute-force count over every output position and tap.
#include "passes/model_stats.hpp"

#include <gtest/gtest.h>

#include "pass_test_util.hpp"

namespace edgeinfer::testing {
namespace {

struct ConvCase {
    int64_t size, kernel, stride, dilation, pad;
    std::string auto_pad;
};

// Taps inside the input, counted one by one (2-D, square: the axes are independent and alike).
int64_t brute_force_taps(const ConvCase& c, int64_t out) {
    int64_t pl = c.pad;
    if (c.auto_pad == "SAME_UPPER") {
        int64_t total = std::max<int64_t>(0, (out - 1) * c.stride + (c.kernel - 1) * c.dilation + 1 - c.size);
        pl = total / 2;
    }
    int64_t n = 0;
    for (int64_t o = 0; o < out; ++o)
        for (int64_t t = 0; t < c.kernel; ++t) {
            int64_t i = o * c.stride - pl + t * c.dilation;
            n += i >= 0 && i < c.size;
        }
    return n;
}

TEST(ModelStats, EffectiveMacsSkipTapsOnPadding) {
    const std::vector<ConvCase> cases = {{5, 3, 1, 4, 4, "NOTSET"},     {33, 3, 1, 12, 12, "NOTSET"},
                                         {33, 3, 1, 36, 36, "NOTSET"},  {7, 3, 1, 1, 1, "NOTSET"},
                                         {9, 3, 2, 1, 0, "SAME_UPPER"}, {8, 1, 1, 1, 0, "NOTSET"}};
    for (const ConvCase& c : cases) {
        std::vector<ir::Attribute> attrs = {attr_is("strides", {c.stride, c.stride}),
                                            attr_is("dilations", {c.dilation, c.dilation})};
        if (c.auto_pad == "NOTSET")
            attrs.push_back(attr_is("pads", {c.pad, c.pad, c.pad, c.pad}));
        else
            attrs.push_back(attr_s("auto_pad", c.auto_pad));
        ModelBuilder b;
        b.input("x", {1, 4, c.size, c.size}).output("r");
        b.init("w", random_tensor({6, 2, c.kernel, c.kernel}, 1));
        b.node("Conv", {"x", "w"}, {"y"}, "conv", attrs);
        b.node("Relu", {"y"}, {"r"}, "relu");
        ir::Model m = b.build();
        passes::ModelStats s = passes::compute_model_stats(m.graph);
        const ir::ValueInfo* y = m.graph.find_value_info("y");
        ASSERT_NE(y, nullptr);
        int64_t out = y->shape.dims[2].value;
        int64_t taps = brute_force_taps(c, out);
        EXPECT_EQ(s.total_macs, 6 * 2 * c.kernel * c.kernel * out * out) << c.size << " d" << c.dilation;
        EXPECT_EQ(s.total_effective_macs, 6 * 2 * taps * taps) << c.size << " d" << c.dilation;
        EXPECT_EQ(s.ops.at("Conv").effective_macs, s.total_effective_macs);
        EXPECT_LE(s.total_effective_macs, s.total_macs);
        if (c.pad == 0 && c.auto_pad == "NOTSET") {
            EXPECT_EQ(s.total_effective_macs, s.total_macs);
        }
    }
}

TEST(ModelStats, GemmEffectiveMacsEqualMacs) {
    ModelBuilder b;
    b.input("x", {2, 8}).output("y");
    b.init("w", random_tensor({8, 5}, 2));
    b.node("Gemm", {"x", "w"}, {"y"}, "fc");
    passes::ModelStats s = passes::compute_model_stats(b.build().graph);
    EXPECT_EQ(s.total_macs, 2 * 8 * 5);
    EXPECT_EQ(s.total_effective_macs, s.total_macs);
}

}  // namespace
}  // namespace edgeinfer::testing
