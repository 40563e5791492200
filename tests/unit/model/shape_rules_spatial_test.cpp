// The shape table's rules for the spatial operators of opsets 18-20 (model/shape_rules_spatial.cpp): each
// op's inferred output against the shape its CPU kernel produces when the model runs, inputs that are not
// constant (the rank and the dims that do not depend on them), and attributes that contradict the inputs.
#include <gtest/gtest.h>

#include <cstdint>

#include "../kernels/kernel_test_util.hpp"
#include "model/proto_convert.hpp"
#include "model/shape_table.hpp"

namespace edgeinfer::testing {
namespace {

const ir::ValueInfo* inferred(const ir::Model& m, const std::string& name) {
    for (const auto* list : {&m.graph.value_info, &m.graph.outputs})
        for (const ir::ValueInfo& v : *list)
            if (v.name == name && v.dtype != DataType::kUndefined) return &v;
    return nullptr;
}

ir::Shape dims_of(const std::vector<std::optional<int64_t>>& dims) {
    ir::Shape s;
    s.has_rank = true;
    for (const auto& d : dims) s.dims.push_back(d ? ir::Dim::known(*d) : ir::Dim::unknown());
    return s;
}

// Infers `b`'s shapes, checks output `y` is `want` (dtype and shape), runs the model on `feeds` and checks
// the kernel's output has that rank and every dim the rule knew.
void expect_rule(ModelBuilder& b, const ir::Shape& want, const std::vector<NamedTensor>& feeds,
                 DataType dtype = DataType::kFloat32) {
    ir::Model m = b.m;
    auto r = model::infer_shapes(m);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const ir::ValueInfo* y = inferred(m, "y");
    ASSERT_NE(y, nullptr) << "no inferred type for y";
    EXPECT_EQ(y->dtype, dtype);
    // ONNX names the unknown dims of graph outputs (unk__0, ...): what counts is that they are not known.
    ASSERT_EQ(y->shape.rank(), want.rank()) << y->shape.to_string() << " vs " << want.to_string();
    for (size_t i = 0; i < want.dims.size(); ++i) {
        if (want.dims[i] == ir::Dim::unknown()) {
            EXPECT_FALSE(y->shape.dims[i].is_known()) << y->shape.to_string() << " vs " << want.to_string();
        } else {
            EXPECT_EQ(y->shape.dims[i], want.dims[i]) << y->shape.to_string() << " vs " << want.to_string();
        }
    }
    auto out = try_run(b.m, feeds);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    const std::vector<int64_t>& got = out->at(0).tensor.dims();
    ASSERT_EQ(static_cast<int64_t>(got.size()), want.rank()) << want.to_string();
    for (size_t i = 0; i < got.size(); ++i) {
        if (want.dims[i].is_known()) {
            EXPECT_EQ(got[i], want.dims[i].value) << "dim " << i;
        }
    }
}

// The error infer_shapes_with_table gives (as `inspect --check` would report it).
std::string rule_error(const ModelBuilder& b) {
    onnx::ModelProto proto;
    model::model_to_proto(b.m, &proto);
    Status s = model::infer_shapes_with_table(proto, b.m, nullptr);
    EXPECT_FALSE(s.is_ok());
    return s.message();
}

TEST(SpatialShapeRules, ResizeWithScalesAndAspectPolicy) {
    ModelBuilder a(19);
    a.input("x", {1, 2, 4, 5}).output("y").init("scales", floats({4}, {1, 1, 2, 1.5f}));
    a.node("Resize", {"x", "", "scales"}, {"y"}, "resize", {attr_s("mode", "linear")});
    expect_rule(a, ir::Shape::of({1, 2, 8, 7}), {{"x", random_tensor({1, 2, 4, 5}, 1)}});

    // axes [2, 3], sizes [3, 10], not_larger: one scale min(3/4, 10/5) = 0.75 for both axes.
    ModelBuilder b(18);
    b.input("x", {1, 2, 4, 5}).output("y").init("sizes", int64s_shaped({2}, {3, 10}));
    b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "resize",
           {attr_s("mode", "linear"), attr_is("axes", {2, 3}), attr_s("keep_aspect_ratio_policy", "not_larger"),
            attr_i("antialias", 1)});
    expect_rule(b, ir::Shape::of({1, 2, 3, 4}), {{"x", random_tensor({1, 2, 4, 5}, 2)}});

    // Fractional scales floor (7 * 0.6, 9 * 1.7); not_smaller takes max(5 / 3, 4 / 7) and rounds half up.
    // ONNX Runtime 1.30 gives the same [1, 2, 4, 15] and [1, 2, 12, 5].
    ModelBuilder f(19);
    f.input("x", {1, 2, 7, 9}).output("y").init("scales", floats({4}, {1, 1, 0.6f, 1.7f}));
    f.node("Resize", {"x", "", "scales"}, {"y"}, "resize");
    expect_rule(f, ir::Shape::of({1, 2, 4, 15}), {{"x", random_tensor({1, 2, 7, 9}, 20)}});
    ModelBuilder ns(18);
    ns.input("x", {1, 2, 7, 3}).output("y").init("sizes", int64s_shaped({2}, {5, 4}));
    ns.node("Resize", {"x", "", "", "sizes"}, {"y"}, "resize",
            {attr_is("axes", {3, 2}), attr_s("keep_aspect_ratio_policy", "not_smaller")});
    expect_rule(ns, ir::Shape::of({1, 2, 12, 5}), {{"x", random_tensor({1, 2, 7, 3}, 21)}});
}

TEST(SpatialShapeRules, ResizeWithSizesOrScalesNotConstant) {
    // sizes is a graph input: the rank and the axes Resize leaves alone are known, the resized ones are not.
    ModelBuilder b(19);
    b.input("x", {-1, 3, 4, 5}).input("sizes", {2}, DataType::kInt64).output("y");
    b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "resize", {attr_is("axes", {-2, -1})});
    ir::Shape want = dims_of({std::nullopt, 3, std::nullopt, std::nullopt});
    want.dims[0] = ir::Dim::symbolic("batch");
    expect_rule(b, want, {{"x", random_tensor({2, 3, 4, 5}, 3)}, {"sizes", int64s_shaped({2}, {6, 7})}});

    ModelBuilder s(19);
    s.input("x", {1, 3, 4, 5}).input("scales", {4}).output("y");
    s.node("Resize", {"x", "", "scales"}, {"y"}, "resize");
    expect_rule(s, dims_of({std::nullopt, std::nullopt, std::nullopt, std::nullopt}),
                {{"x", random_tensor({1, 3, 4, 5}, 4)}, {"scales", floats({4}, {1, 1, 0.5f, 2})}});

    ModelBuilder bad(19);
    bad.input("x", {1, 3, 4, 5}).output("y").init("sizes", int64s_shaped({3}, {1, 3, 4}));
    bad.node("Resize", {"x", "", "", "sizes"}, {"y"}, "resize", {attr_is("axes", {2, 3})});
    EXPECT_NE(rule_error(bad).find("Resize 'resize': sizes has 3 values for 2 axes"), std::string::npos);
}

TEST(SpatialShapeRules, LpPoolCeilModeAndAveragePoolDilations) {
    ModelBuilder lp(18);
    lp.input("x", {1, 2, 5, 5}).output("y");
    lp.node("LpPool", {"x"}, {"y"}, "lp",
            {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2}), attr_i("ceil_mode", 1), attr_i("p", 2)});
    expect_rule(lp, ir::Shape::of({1, 2, 3, 3}), {{"x", random_tensor({1, 2, 5, 5}, 5)}});

    ModelBuilder avg(19);
    avg.input("x", {1, 1, 6, 7}).output("y");
    avg.node("AveragePool", {"x"}, {"y"}, "avg",
             {attr_is("kernel_shape", {2, 2}), attr_is("dilations", {2, 2}), attr_is("pads", {1, 1, 1, 1}),
              attr_is("strides", {2, 1}), attr_i("ceil_mode", 1)});
    expect_rule(avg, ir::Shape::of({1, 1, 4, 7}), {{"x", random_tensor({1, 1, 6, 7}, 6)}});

    ModelBuilder lp2(18);  // ORT 1.30: [1, 2, 4, 4]
    lp2.input("x", {1, 2, 6, 7}).output("y");
    lp2.node("LpPool", {"x"}, {"y"}, "lp",
             {attr_is("kernel_shape", {3, 3}), attr_is("strides", {2, 2}), attr_is("pads", {1, 1, 1, 1}),
              attr_i("ceil_mode", 1)});
    expect_rule(lp2, ir::Shape::of({1, 2, 4, 4}), {{"x", random_tensor({1, 2, 6, 7}, 22)}});

    // SAME_UPPER: ceil(input / stride), dilated or not (ONNX's definition; ORT 1.30's kernel gives 3 x 3 here
    // while its own shape inference says 4 x 4).
    ModelBuilder same(19);
    same.input("x", {1, 1, 7, 8}).output("y");
    same.node("AveragePool", {"x"}, {"y"}, "avg",
              {attr_is("kernel_shape", {3, 3}), attr_is("dilations", {2, 2}), attr_is("strides", {2, 2}),
               attr_s("auto_pad", "SAME_UPPER")});
    expect_rule(same, ir::Shape::of({1, 1, 4, 4}), {{"x", random_tensor({1, 1, 7, 8}, 23)}});

    ModelBuilder bad(19);
    bad.input("x", {1, 1, 2, 2}).output("y");
    bad.node("AveragePool", {"x"}, {"y"}, "avg", {attr_is("kernel_shape", {2, 2}), attr_is("dilations", {3, 3})});
    EXPECT_NE(rule_error(bad).find("AveragePool 'avg': kernel extent 4 exceeds the padded input 2"), std::string::npos);
}

TEST(SpatialShapeRules, DftLengthAndAxisAsInputs) {
    ModelBuilder b(20);
    b.input("x", {2, 8, 1}).output("y").init("len", int64s_shaped({}, {6})).init("axis", int64s_shaped({}, {1}));
    b.node("DFT", {"x", "len", "axis"}, {"y"}, "dft", {attr_i("onesided", 1)});
    expect_rule(b, ir::Shape::of({2, 4, 2}), {{"x", random_tensor({2, 8, 1}, 7)}});

    ModelBuilder inv(20);  // default axis -2, no dft_length: the signal axis keeps its length
    inv.input("x", {3, 5, 2}).output("y");
    inv.node("DFT", {"x"}, {"y"}, "dft", {attr_i("inverse", 1)});
    expect_rule(inv, ir::Shape::of({3, 5, 2}), {{"x", random_tensor({3, 5, 2}, 8)}});

    ModelBuilder neg(20);  // axis -3 of a rank-4 signal: 6 samples, 4 one-sided bins (ORT 1.30 the same)
    neg.input("x", {2, 6, 5, 1}).output("y").init("axis", int64s_shaped({}, {-3}));
    neg.node("DFT", {"x", "", "axis"}, {"y"}, "dft", {attr_i("onesided", 1)});
    expect_rule(neg, ir::Shape::of({2, 4, 5, 2}), {{"x", random_tensor({2, 6, 5, 1}, 24)}});

    ModelBuilder var(20);  // dft_length not constant: that axis is unknown, the rest known
    var.input("x", {2, 8, 1}).input("len", {}, DataType::kInt64).output("y");
    var.node("DFT", {"x", "len"}, {"y"}, "dft");
    expect_rule(var, dims_of({2, std::nullopt, 2}),
                {{"x", random_tensor({2, 8, 1}, 9)}, {"len", int64s_shaped({}, {16})}});
}

TEST(SpatialShapeRules, GridSampleNd) {
    ModelBuilder b(20);
    b.input("x", {1, 2, 3, 4, 5}).input("grid", {1, 6, 7, 8, 3}).output("y");
    b.node("GridSample", {"x", "grid"}, {"y"}, "gs", {attr_s("mode", "linear")});
    expect_rule(b, ir::Shape::of({1, 2, 6, 7, 8}),
                {{"x", random_tensor({1, 2, 3, 4, 5}, 10)}, {"grid", random_tensor({1, 6, 7, 8, 3}, 11)}});

    ModelBuilder bad(20);
    bad.input("x", {1, 2, 3, 4}).input("grid", {1, 6, 7, 3}).output("y");
    bad.node("GridSample", {"x", "grid"}, {"y"}, "gs");
    EXPECT_NE(rule_error(bad).find("GridSample 'gs': X [N, C, D1, ..., Dr] and grid [N, O1, ..., Or, r]"),
              std::string::npos);
}

TEST(SpatialShapeRules, Col2ImAndABlockShapeThatDoesNotDivide) {
    // image 4 x 5, block 2 x 2: (4 - 1) * (5 - 1) = 12 blocks of 2 * 4 values.
    ModelBuilder b(18);
    b.input("x", {1, 8, 12}).output("y").init("image", int64s_shaped({2}, {4, 5}));
    b.init("block", int64s_shaped({2}, {2, 2}));
    b.node("Col2Im", {"x", "image", "block"}, {"y"}, "col2im");
    expect_rule(b, ir::Shape::of({1, 2, 4, 5}), {{"x", random_tensor({1, 8, 12}, 12)}});

    // Strides, pads and dilations: (5 + 2 - 2) / 2 + 1 = 3 by (6 - 5) / 2 + 1 = 1 blocks (ORT 1.30 the same).
    ModelBuilder st(18);
    st.input("x", {1, 12, 3}).output("y").init("image", int64s_shaped({2}, {5, 6}));
    st.init("block", int64s_shaped({2}, {2, 3}));
    st.node("Col2Im", {"x", "image", "block"}, {"y"}, "col2im",
            {attr_is("strides", {2, 2}), attr_is("pads", {1, 0, 1, 0}), attr_is("dilations", {1, 2})});
    expect_rule(st, ir::Shape::of({1, 2, 5, 6}), {{"x", random_tensor({1, 12, 3}, 25)}});

    ModelBuilder bad(18);
    bad.input("x", {1, 8, 4}).output("y").init("image", int64s_shaped({2}, {4, 4}));
    bad.init("block", int64s_shaped({2}, {3, 3}));
    bad.node("Col2Im", {"x", "image", "block"}, {"y"}, "col2im");
    EXPECT_NE(
        rule_error(bad).find("Col2Im 'col2im': input dim 1 (8) is not a multiple of prod(block_shape [3, 3]) = 9"),
        std::string::npos);
}

TEST(SpatialShapeRules, ValuesPastInt64AreAnErrorNotAWrappedDim) {
    const int64_t big = int64_t{1} << 31;
    ModelBuilder c(18);
    c.input("x", {1, 8, 4}).output("y").init("image", int64s_shaped({3}, {4, 4, 4}));
    c.init("block", int64s_shaped({3}, {big, big, big}));
    c.node("Col2Im", {"x", "image", "block"}, {"y"}, "col2im");
    EXPECT_NE(rule_error(c).find("Col2Im 'col2im': prod(block_shape [2147483648, 2147483648, 2147483648]) overflows"),
              std::string::npos);

    ModelBuilder p(19);
    p.input("x", {1, 1, 4, 4}).output("y");
    p.node("AveragePool", {"x"}, {"y"}, "avg", {attr_is("kernel_shape", {2, 2}), attr_is("strides", {4 * big, 1})});
    EXPECT_NE(rule_error(p).find("AveragePool 'avg': kernel_shape, strides, dilations and pads must be within 2^31"),
              std::string::npos);

    ModelBuilder r(19);
    r.input("x", {1, 1, 4, 4}).output("y").init("scales", floats({4}, {1, 1, 1e30f, 1}));
    r.node("Resize", {"x", "", "scales"}, {"y"}, "resize");
    EXPECT_NE(rule_error(r).find("gives an output dim out of range"), std::string::npos);

    ModelBuilder pad(18);  // (Pad's rule, in shape_table.cpp, likewise)
    pad.input("x", {3}).output("y").init("pads", int64s_shaped({2}, {INT64_MAX, 1}));
    pad.node("Pad", {"x", "pads"}, {"y"}, "pad");
    EXPECT_NE(rule_error(pad).find("Pad 'pad': pads of axis 0 overflow"), std::string::npos);
    ModelBuilder crop(18);
    crop.input("x", {3}).output("y").init("pads", int64s_shaped({2}, {-2, -2}));
    crop.node("Pad", {"x", "pads"}, {"y"}, "pad");
    EXPECT_NE(rule_error(crop).find("Pad 'pad': pads -2, -2 of axis 0 leave no valid size of dim 3"),
              std::string::npos);
}

TEST(SpatialShapeRules, CenterCropPadDeformConvAffineGrid) {
    ModelBuilder c(18);
    c.input("x", {4, 6, 3}).output("y").init("shape", int64s_shaped({2}, {5, 4}));
    c.node("CenterCropPad", {"x", "shape"}, {"y"}, "ccp", {attr_is("axes", {0, 1})});
    expect_rule(c, ir::Shape::of({5, 4, 3}), {{"x", random_tensor({4, 6, 3}, 13)}});

    ModelBuilder d(19);  // group 2, 3x3 kernel, stride 2 on 7x7: 3x3 outputs
    d.input("x", {1, 4, 7, 7}).input("off", {1, 18, 3, 3}).output("y");
    d.init("w", random_tensor({6, 2, 3, 3}, 14));
    d.node("DeformConv", {"x", "w", "off"}, {"y"}, "dc", {attr_i("group", 2), attr_is("strides", {2, 2})});
    expect_rule(d, ir::Shape::of({1, 6, 3, 3}),
                {{"x", random_tensor({1, 4, 7, 7}, 15)}, {"off", random_tensor({1, 18, 3, 3}, 16)}});

    ModelBuilder g(20);
    g.input("theta", {2, 2, 3}).output("y").init("size", int64s_shaped({4}, {2, 3, 4, 5}));
    g.node("AffineGrid", {"theta", "size"}, {"y"}, "ag");
    expect_rule(g, ir::Shape::of({2, 4, 5, 2}), {{"theta", random_tensor({2, 2, 3}, 17)}});

    ModelBuilder v(20);  // size not constant: rank and N from theta, the grid's last dim from its rows
    v.input("theta", {2, 3, 4}).input("size", {5}, DataType::kInt64).output("y");
    v.node("AffineGrid", {"theta", "size"}, {"y"}, "ag");
    expect_rule(v, dims_of({2, std::nullopt, std::nullopt, std::nullopt, 3}),
                {{"theta", random_tensor({2, 3, 4}, 18)}, {"size", int64s_shaped({5}, {2, 1, 2, 3, 4})}});
}

}  // namespace
}  // namespace edgeinfer::testing
