#include <gtest/gtest.h>

#include "ir/graph.hpp"

namespace edgeinfer::ir {
namespace {

Graph two_node_graph() {
    Graph g;
    g.name = "g";
    g.inputs.push_back({"x", DataType::kFloat32, Shape::of({1, 4}), ""});
    g.outputs.push_back({"y", DataType::kFloat32, Shape::of({1, 4}), ""});
    g.add_initializer("w", Tensor::from_vector<float>(DataType::kFloat32, {4}, {1, 2, 3, 4}));
    Node mul{"mul", "Mul", "", {"x", "w"}, {"t"}, {}, ""};
    Node relu{"", "Relu", "", {"t"}, {"y"}, {}, ""};
    g.nodes = {mul, relu};
    return g;
}

TEST(Shape, SymbolicDims) {
    Shape s;
    s.has_rank = true;
    s.dims = {Dim::symbolic("batch"), Dim::known(3), Dim::unknown()};
    EXPECT_EQ(s.rank(), 3);
    EXPECT_EQ(s.to_string(), "batch x 3 x ?");
    EXPECT_FALSE(s.static_dims().has_value());
    EXPECT_EQ(Shape::of({2, 3}).static_dims().value(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(Shape::unknown_rank().rank(), -1);
    EXPECT_EQ(Shape::unknown_rank().to_string(), "(unknown rank)");
}

TEST(Node, AttributesAndDescribe) {
    Node n;
    n.op_type = "Conv";
    Attribute a;
    a.name = "strides";
    a.kind = Attribute::Kind::kInts;
    a.ints = {2, 2};
    n.attributes.push_back(a);
    EXPECT_EQ(n.attr_ints("strides"), (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(n.attr_int("group", 1), 1);
    EXPECT_EQ(n.attr_ints("pads", {0, 0}), (std::vector<int64_t>{0, 0}));
    EXPECT_EQ(n.attr_int("strides", 7), 7);  // wrong kind falls back
    EXPECT_EQ(n.describe(3), "Conv (node #3)");
    n.name = "conv1";
    EXPECT_EQ(n.describe(3), "Conv 'conv1'");
}

TEST(Graph, LookupsAndProducers) {
    Graph g = two_node_graph();
    EXPECT_NE(g.find_initializer("w"), nullptr);
    EXPECT_EQ(g.find_initializer("x"), nullptr);
    EXPECT_EQ(g.find_value_info("y")->dtype, DataType::kFloat32);
    EXPECT_EQ(g.runtime_inputs().size(), 1u);
    auto p = g.producers();
    EXPECT_EQ(p.at("t"), 0u);
    EXPECT_EQ(p.at("y"), 1u);
    EXPECT_TRUE(g.remove_initializer("w"));
    EXPECT_FALSE(g.remove_initializer("w"));
    EXPECT_TRUE(g.initializer_order.empty());
}

TEST(Graph, EqualityFindsDifferences) {
    Graph a = two_node_graph();
    Graph b = two_node_graph();
    std::string why;
    EXPECT_TRUE(graphs_equal(a, b, &why)) << why;
    b.initializers["w"].data_as<float>()[2] = 0;
    EXPECT_FALSE(graphs_equal(a, b, &why));
    EXPECT_NE(why.find("'w'"), std::string::npos);
    Graph c = two_node_graph();
    c.nodes[1].op_type = "Sigmoid";
    EXPECT_FALSE(graphs_equal(a, c, &why));
    EXPECT_NE(why.find("Relu"), std::string::npos);
}

TEST(Model, OpsetLookupTreatsDefaultDomainSpellingsAlike) {
    Model m;
    m.opset_imports = {{"ai.onnx", 13}, {"com.microsoft", 1}};
    EXPECT_EQ(m.opset_version(""), 13);
    EXPECT_EQ(m.opset_version("com.microsoft"), 1);
    EXPECT_EQ(m.opset_version("ai.onnx.ml"), 0);
}

}  // namespace
}  // namespace edgeinfer::ir
