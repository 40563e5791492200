// If, Loop and Scan: bodies that read values from enclosing scopes (nested two deep), both branches,
// scan outputs, and clear errors for malformed control flow.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"
#include "runtime_test_util.hpp"

namespace edgeinfer::testing {
namespace {

// The opset the test graphs are written for.
constexpr int64_t kOpset = 13;

Tensor flag(bool b) { return Tensor::from_vector<uint8_t>(DataType::kBool, {}, {static_cast<uint8_t>(b)}); }

// y = cond ? x + two : x * doubled, where doubled = x + x is computed in the outer graph.
ir::Graph if_graph() {
    ir::Graph then_g;
    then_g.name = "then";
    then_g.add_initializer("two", floats({1}, {2.0f}));
    then_g.initializer_order = {"two"};
    then_g.nodes.push_back(node("Add", {"x", "two"}, {"then_out"}));
    then_g.outputs.push_back(tensor_info("then_out", DataType::kFloat32, {3}));
    ir::Graph else_g;
    else_g.name = "else";
    else_g.nodes.push_back(node("Mul", {"x", "doubled"}, {"else_out"}));
    else_g.outputs.push_back(tensor_info("else_out", DataType::kFloat32, {3}));

    ir::Graph g;
    g.name = "if_model";
    g.inputs = {tensor_info("x", DataType::kFloat32, {3}), tensor_info("cond", DataType::kBool, {})};
    g.nodes.push_back(node("Add", {"x", "x"}, {"doubled"}));
    ir::Node n = node("If", {"cond"}, {"y"}, "choose");
    n.attributes.push_back(graph_attr("then_branch", then_g));
    n.attributes.push_back(graph_attr("else_branch", else_g));
    g.nodes.push_back(n);
    g.outputs.push_back(tensor_info("y", DataType::kFloat32, {3}));
    return g;
}

TEST(ControlFlow, IfRunsTheChosenBranchWithOuterValues) {
    auto s = session_for(if_graph(), kOpset);
    ASSERT_TRUE(s);
    auto then_run = s->run({{"x", floats({3}, {1, 2, 3})}, {"cond", flag(true)}});
    ASSERT_TRUE(then_run.is_ok()) << then_run.status().message();
    EXPECT_EQ(as_floats(then_run.value()[0].tensor), (std::vector<float>{3, 4, 5}));
    auto else_run = s->run({{"x", floats({3}, {1, 2, 3})}, {"cond", flag(false)}});
    ASSERT_TRUE(else_run.is_ok()) << else_run.status().message();
    EXPECT_EQ(as_floats(else_run.value()[0].tensor), (std::vector<float>{2, 8, 18}));
}

TEST(ControlFlow, IfWithSeveralConditionValuesIsAClearError) {
    ir::Graph g = if_graph();
    g.inputs[1] = tensor_info("cond", DataType::kBool, {2});
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    auto r = s->run({{"x", floats({3}, {1, 2, 3})},
                     {"cond", Tensor::from_vector<uint8_t>(DataType::kBool, {2}, {1, 0})}});
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("If 'choose'"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("cond must hold one value"), std::string::npos) << r.status().message();
}

// acc_{i+1} = acc_i + (i is even ? x : step) for M iterations, with each acc as a scan output.
// The If inside the body reads `x` from two scopes up and `step` from the outer graph.
TEST(ControlFlow, LoopWithNestedIfReadingTwoScopesUp) {
    ir::Graph even;
    even.name = "even";
    even.nodes.push_back(node("Identity", {"x"}, {"even_out"}));
    even.outputs.push_back(tensor_info("even_out", DataType::kFloat32, {2}));
    ir::Graph odd;
    odd.name = "odd";
    odd.nodes.push_back(node("Identity", {"step"}, {"odd_out"}));
    odd.outputs.push_back(tensor_info("odd_out", DataType::kFloat32, {2}));

    ir::Graph body;
    body.name = "body";
    body.inputs = {tensor_info("i", DataType::kInt64, {}), tensor_info("cond_in", DataType::kBool, {}),
                   tensor_info("acc_in", DataType::kFloat32, {2})};
    body.add_initializer("two_i", Tensor::from_vector<int64_t>(DataType::kInt64, {}, {2}));
    body.add_initializer("zero_i", Tensor::from_vector<int64_t>(DataType::kInt64, {}, {0}));
    body.initializer_order = {"two_i", "zero_i"};
    body.nodes.push_back(node("Mod", {"i", "two_i"}, {"parity"}));
    body.nodes.push_back(node("Equal", {"parity", "zero_i"}, {"is_even"}));
    ir::Node inner = node("If", {"is_even"}, {"addend"}, "pick");
    inner.attributes.push_back(graph_attr("then_branch", even));
    inner.attributes.push_back(graph_attr("else_branch", odd));
    body.nodes.push_back(inner);
    body.nodes.push_back(node("Add", {"acc_in", "addend"}, {"acc_out"}));
    body.nodes.push_back(node("Identity", {"cond_in"}, {"cond_out"}));
    body.nodes.push_back(node("Identity", {"acc_out"}, {"scan_out"}));
    body.outputs = {tensor_info("cond_out", DataType::kBool, {}), tensor_info("acc_out", DataType::kFloat32, {2}),
                    tensor_info("scan_out", DataType::kFloat32, {2})};

    ir::Graph g;
    g.name = "loop_model";
    g.inputs = {tensor_info("x", DataType::kFloat32, {2}), tensor_info("M", DataType::kInt64, {}),
                tensor_info("acc0", DataType::kFloat32, {2})};
    g.add_initializer("step", floats({2}, {100, 1000}));
    g.initializer_order = {"step"};
    ir::Node loop = node("Loop", {"M", "", "acc0"}, {"acc", "history"}, "accumulate");
    loop.attributes.push_back(graph_attr("body", body));
    g.nodes.push_back(loop);
    g.outputs = {tensor_info("acc", DataType::kFloat32, {2}), tensor_info("history", DataType::kFloat32, {-1, 2})};
    g.outputs[1].shape.dims[0] = ir::Dim::symbolic("iterations");

    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    auto r = s->run({{"x", floats({2}, {1, 2})},
                     {"M", Tensor::from_vector<int64_t>(DataType::kInt64, {}, {3})},
                     {"acc0", floats({2}, {0, 0})}});
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    // i=0 even: +x -> (1,2); i=1 odd: +step -> (101,1002); i=2 even: +x -> (102,1004)
    EXPECT_EQ(as_floats(r.value()[0].tensor), (std::vector<float>{102, 1004}));
    EXPECT_EQ(r.value()[1].tensor.dims(), (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(as_floats(r.value()[1].tensor), (std::vector<float>{1, 2, 101, 1002, 102, 1004}));

    auto zero = s->run({{"x", floats({2}, {1, 2})},
                        {"M", Tensor::from_vector<int64_t>(DataType::kInt64, {}, {0})},
                        {"acc0", floats({2}, {5, 6})}});
    ASSERT_TRUE(zero.is_ok()) << zero.status().message();
    EXPECT_EQ(as_floats(zero.value()[0].tensor), (std::vector<float>{5, 6}));
    EXPECT_EQ(zero.value()[1].tensor.dims()[0], 0);
}

TEST(ControlFlow, IfWithoutABranchIsRejectedAtLoad) {
    ir::Graph g = if_graph();
    g.nodes[1].attributes.pop_back();  // no else_branch
    ir::Model m;
    m.ir_version = 8;
    m.opset_imports = {{"", 13}};
    m.graph = g;
    auto bytes = model::serialize_model(m);
    ASSERT_TRUE(bytes.is_ok());
    auto s = Session::create_from_bytes(bytes.value().data(), bytes.value().size());
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.status().message().find("else_branch"), std::string::npos) << s.status().message();
}

// Scan (opset 9+ semantics): a running sum over x's rows read in reverse (scan_input_directions 1), the
// sums stacked along output axis 1; the final state is the total.
TEST(ControlFlow, ScanRunsReversedAndStacksAlongAnAxis) {
    ir::Graph body;
    body.name = "body";
    body.inputs = {tensor_info("s_in", DataType::kFloat32, {2}), tensor_info("x_t", DataType::kFloat32, {2})};
    body.nodes.push_back(node("Add", {"s_in", "x_t"}, {"s_out"}));
    body.nodes.push_back(node("Identity", {"s_out"}, {"y_t"}));
    body.outputs = {tensor_info("s_out", DataType::kFloat32, {2}), tensor_info("y_t", DataType::kFloat32, {2})};
    ir::Graph g;
    g.name = "scan_model";
    g.inputs = {tensor_info("s0", DataType::kFloat32, {2}), tensor_info("x", DataType::kFloat32, {3, 2})};
    ir::Node n = node("Scan", {"s0", "x"}, {"s", "ys"}, "running_sum");
    n.attributes.push_back(graph_attr("body", body));
    ir::Attribute m;
    m.name = "num_scan_inputs";
    m.kind = ir::Attribute::Kind::kInt;
    m.i = 1;
    n.attributes.push_back(m);
    ir::Attribute dirs;
    dirs.name = "scan_input_directions";
    dirs.kind = ir::Attribute::Kind::kInts;
    dirs.ints = {1};
    n.attributes.push_back(dirs);
    ir::Attribute axes = dirs;
    axes.name = "scan_output_axes";
    n.attributes.push_back(axes);
    g.nodes.push_back(n);
    g.outputs = {tensor_info("s", DataType::kFloat32, {2}), tensor_info("ys", DataType::kFloat32, {2, 3})};
    auto session = session_for(g, kOpset);
    ASSERT_NE(session, nullptr);
    auto out = session->run({{"s0", floats({2}, {0, 0})}, {"x", floats({3, 2}, {1, 2, 3, 4, 5, 6})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(as_floats((*out)[0].tensor), (std::vector<float>{9, 12}));
    EXPECT_EQ((*out)[1].tensor.dims(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(as_floats((*out)[1].tensor), (std::vector<float>{5, 8, 9, 6, 10, 12}));
    // Scan inputs whose sequence axes differ in length are named.
    auto bad = session->run({{"s0", floats({3}, {0, 0, 0})}, {"x", floats({3, 2}, {1, 2, 3, 4, 5, 6})}});
    EXPECT_FALSE(bad.is_ok());
}

}  // namespace
}  // namespace edgeinfer::testing
