// Sequences and optionals end to end through Session: the sequence operators, Optional*, Identity, Loop and
// If carrying sequences, SequenceMap, sequence inputs and outputs in the C++ API, and the errors for bad
// input (positions out of range, wrong element dtypes, tensor kernels given sequences).
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
constexpr int64_t kOpset = 17;

ir::ValueInfo boxed(std::string name, DataType dt, ValueKind kind) {
    return ir::ValueInfo{std::move(name), dt, ir::Shape::unknown_rank(), "", kind};
}

ir::Attribute int_attr(std::string name, int64_t v) {
    ir::Attribute a;
    a.name = std::move(name);
    a.kind = ir::Attribute::Kind::kInt;
    a.i = v;
    return a;
}

Tensor int64s(std::vector<int64_t> dims, std::vector<int64_t> v) {
    return Tensor::from_vector(DataType::kInt64, dims, v);
}

NamedTensor sequence_input(std::string name, std::vector<Tensor> items) {
    NamedTensor nt{std::move(name), {}};
    nt.kind = ValueKind::kSequence;
    nt.sequence = std::move(items);
    return nt;
}

// s = [a, b]; s = insert(s, c, at 1); outputs: s, s[at], len(s).
ir::Graph construct_insert_at_graph() {
    ir::Graph g;
    g.name = "seq";
    g.inputs = {tensor_info("a", DataType::kFloat32, {2}), tensor_info("b", DataType::kFloat32, {1}),
                tensor_info("c", DataType::kFloat32, {3}), tensor_info("at", DataType::kInt64, {})};
    g.add_initializer("one", int64s({}, {1}));
    g.initializer_order = {"one"};
    g.nodes.push_back(node("SequenceConstruct", {"a", "b"}, {"s0"}));
    g.nodes.push_back(node("SequenceInsert", {"s0", "c", "one"}, {"s1"}, "insert"));
    g.nodes.push_back(node("SequenceAt", {"s1", "at"}, {"item"}, "pick"));
    g.nodes.push_back(node("SequenceLength", {"s1"}, {"n"}));
    g.outputs = {boxed("s1", DataType::kFloat32, ValueKind::kSequence), tensor_info("item", DataType::kFloat32, {}),
                 tensor_info("n", DataType::kInt64, {})};
    g.outputs[1].shape = ir::Shape::unknown_rank();
    return g;
}

std::vector<NamedTensor> abc(int64_t at) {
    return {
        {"a", floats({2}, {1, 2})}, {"b", floats({1}, {3})}, {"c", floats({3}, {4, 5, 6})}, {"at", int64s({}, {at})}};
}

TEST(Sequence, ConstructInsertAtLengthAndSequenceOutput) {
    auto s = session_for(construct_insert_at_graph(), kOpset);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->outputs()[0].kind, ValueKind::kSequence);
    EXPECT_EQ(s->outputs()[0].dtype, DataType::kFloat32);
    for (int64_t at : {1, -1}) {
        auto r = s->run(abc(at));
        ASSERT_TRUE(r.is_ok()) << r.status().message();
        const NamedTensor& seq = (*r)[0];
        ASSERT_EQ(seq.kind, ValueKind::kSequence);
        ASSERT_EQ(seq.sequence.size(), 3u);
        EXPECT_EQ(as_floats(seq.sequence[0]), (std::vector<float>{1, 2}));
        EXPECT_EQ(as_floats(seq.sequence[1]), (std::vector<float>{4, 5, 6}));
        EXPECT_EQ(as_floats(seq.sequence[2]), (std::vector<float>{3}));
        EXPECT_EQ(as_floats((*r)[1].tensor), at == 1 ? (std::vector<float>{4, 5, 6}) : (std::vector<float>{3}));
        EXPECT_EQ(*(*r)[2].tensor.data_as<int64_t>(), 3);
    }
}

TEST(Sequence, AtOutOfRangeNamesTheNodeAndIndex) {
    auto s = session_for(construct_insert_at_graph(), kOpset);
    ASSERT_TRUE(s);
    auto r = s->run(abc(5));
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("SequenceAt 'pick'"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("position 5 is out of range [-3, 2]"), std::string::npos)
        << r.status().message();
    auto again = s->run(abc(-3));  // the same session runs on after the error
    ASSERT_TRUE(again.is_ok()) << again.status().message();
    EXPECT_EQ(as_floats((*again)[1].tensor), (std::vector<float>{1, 2}));
}

TEST(Sequence, InsertOfAnotherDtypeIsRefused) {
    ir::Graph g;
    g.name = "bad_insert";
    g.inputs = {boxed("s", DataType::kFloat32, ValueKind::kSequence), tensor_info("i", DataType::kInt64, {2})};
    g.nodes.push_back(node("SequenceInsert", {"s", "i"}, {"t"}, "insert"));
    g.outputs = {boxed("t", DataType::kFloat32, ValueKind::kSequence)};
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    auto r = s->run({sequence_input("s", {floats({1}, {1})}), {"i", int64s({2}, {1, 2})}});
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("SequenceInsert 'insert': tensor is int64 but the sequence holds float32"),
              std::string::npos)
        << r.status().message();
}

TEST(Sequence, InputsAreCheckedByKindAndElementDtype) {
    ir::Graph g;
    g.name = "identity";
    g.inputs = {boxed("x", DataType::kFloat32, ValueKind::kSequence)};
    g.nodes.push_back(node("Identity", {"x"}, {"y"}));
    g.outputs = {boxed("y", DataType::kFloat32, ValueKind::kSequence)};
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->inputs()[0].kind, ValueKind::kSequence);

    auto r = s->run({sequence_input("x", {floats({2}, {1, 2}), floats({0}, {})})});
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    ASSERT_EQ((*r)[0].sequence.size(), 2u);
    EXPECT_EQ(as_floats((*r)[0].sequence[0]), (std::vector<float>{1, 2}));
    EXPECT_EQ((*r)[0].sequence[1].dims(), (std::vector<int64_t>{0}));

    auto empty = s->run({sequence_input("x", {})});
    ASSERT_TRUE(empty.is_ok()) << empty.status().message();
    EXPECT_TRUE((*empty)[0].sequence.empty());

    auto as_tensor = s->run({{"x", floats({2}, {1, 2})}});
    ASSERT_FALSE(as_tensor.is_ok());
    EXPECT_NE(as_tensor.status().message().find("input 'x' is a tensor, the model expects a sequence of float32"),
              std::string::npos)
        << as_tensor.status().message();

    auto wrong = s->run({sequence_input("x", {floats({1}, {1}), int64s({1}, {1})})});
    ASSERT_FALSE(wrong.is_ok());
    EXPECT_NE(wrong.status().message().find("input 'x' element 1 has dtype int64, the model expects float32"),
              std::string::npos)
        << wrong.status().message();

    std::vector<NamedTensor> into{{"y", floats({2}, {0, 0})}};
    Status st = s->run({sequence_input("x", {floats({2}, {1, 2})})}, into);
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("output 'y' is a sequence, not one tensor"), std::string::npos) << st.message();
}

TEST(Sequence, TensorKernelGivenASequenceIsRefused) {
    ir::Graph g;
    g.name = "add_seq";
    g.inputs = {boxed("s", DataType::kFloat32, ValueKind::kSequence), tensor_info("x", DataType::kFloat32, {1})};
    g.nodes.push_back(node("Add", {"s", "x"}, {"y"}, "add"));
    g.outputs = {tensor_info("y", DataType::kFloat32, {1})};
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    auto r = s->run({sequence_input("s", {floats({1}, {1})}), {"x", floats({1}, {2})}});
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("Add 'add': input 's' is a sequence, but Add takes tensors"), std::string::npos)
        << r.status().message();
}

TEST(Sequence, SplitToSequenceAndConcatFromSequence) {
    ir::Graph g;
    g.name = "split_concat";
    g.inputs = {tensor_info("x", DataType::kFloat32, {4, 2})};
    g.add_initializer("sizes", int64s({2}, {1, 3}));
    g.initializer_order = {"sizes"};
    ir::Node split = node("SplitToSequence", {"x", "sizes"}, {"parts"});
    split.attributes.push_back(int_attr("axis", 0));
    ir::Node rows = node("SplitToSequence", {"x"}, {"rows"});
    rows.attributes.push_back(int_attr("axis", 1));
    rows.attributes.push_back(int_attr("keepdims", 0));
    ir::Node concat = node("ConcatFromSequence", {"parts"}, {"joined"});
    concat.attributes.push_back(int_attr("axis", 0));
    ir::Node stack = node("ConcatFromSequence", {"rows"}, {"stacked"});
    stack.attributes.push_back(int_attr("axis", -1));
    stack.attributes.push_back(int_attr("new_axis", 1));
    g.nodes = {split, rows, concat, stack, node("SequenceLength", {"rows"}, {"n_rows"})};
    g.outputs = {tensor_info("joined", DataType::kFloat32, {4, 2}), tensor_info("stacked", DataType::kFloat32, {4, 2}),
                 boxed("parts", DataType::kFloat32, ValueKind::kSequence), tensor_info("n_rows", DataType::kInt64, {})};
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    std::vector<float> x{0, 1, 2, 3, 4, 5, 6, 7};
    auto r = s->run({{"x", floats({4, 2}, x)}});
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    EXPECT_EQ(as_floats((*r)[0].tensor), x);
    EXPECT_EQ((*r)[1].tensor.dims(), (std::vector<int64_t>{4, 2}));
    EXPECT_EQ(as_floats((*r)[1].tensor), x);
    ASSERT_EQ((*r)[2].sequence.size(), 2u);
    EXPECT_EQ((*r)[2].sequence[0].dims(), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ((*r)[2].sequence[1].dims(), (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(as_floats((*r)[2].sequence[1]), (std::vector<float>{2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(*(*r)[3].tensor.data_as<int64_t>(), 2);
}

TEST(Sequence, EmptyEraseAndFoldedConstants) {
    // Built from constants only: folded when the plan is built, still right.
    ir::Graph g;
    g.name = "erase";
    g.add_initializer("a", floats({1}, {1}));
    g.add_initializer("b", floats({1}, {2}));
    g.add_initializer("first", int64s({}, {0}));
    g.initializer_order = {"a", "b", "first"};
    ir::Node empty = node("SequenceEmpty", {}, {"e"});
    empty.attributes.push_back(int_attr("dtype", static_cast<int64_t>(DataType::kFloat32)));
    g.nodes = {empty,
               node("SequenceInsert", {"e", "a"}, {"s1"}),
               node("SequenceInsert", {"s1", "b"}, {"s2"}),
               node("SequenceErase", {"s2", "first"}, {"s3"}),
               node("SequenceErase", {"s3"}, {"s4"}, "erase_last"),
               node("SequenceErase", {"s4"}, {"s5"}, "erase_empty")};
    g.outputs = {boxed("s3", DataType::kFloat32, ValueKind::kSequence),
                 boxed("s4", DataType::kFloat32, ValueKind::kSequence),
                 boxed("s5", DataType::kFloat32, ValueKind::kSequence)};
    auto bad_session = session_for(g, kOpset);
    ASSERT_TRUE(bad_session);
    auto bad = bad_session->run({});  // erasing from the empty s4 fails while the plan folds it
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("SequenceErase 'erase_empty': cannot erase from an empty sequence"),
              std::string::npos)
        << bad.status().message();
    g.nodes.pop_back();
    g.outputs.pop_back();
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    auto r = s->run({});
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    ASSERT_EQ((*r)[0].sequence.size(), 1u);
    EXPECT_EQ(as_floats((*r)[0].sequence[0]), (std::vector<float>{2}));
    EXPECT_TRUE((*r)[1].sequence.empty());
}

TEST(Sequence, OptionalHasGetElement) {
    ir::Graph g;
    g.name = "optional";
    g.inputs = {tensor_info("x", DataType::kFloat32, {2})};
    ir::Node none = node("Optional", {}, {"nothing"});
    ir::Attribute type;
    type.name = "type";
    type.kind = ir::Attribute::Kind::kType;
    type.type = boxed("", DataType::kFloat32, ValueKind::kTensor);
    none.attributes.push_back(type);
    g.nodes = {node("Optional", {"x"}, {"some"}), none, node("OptionalHasElement", {"some"}, {"has_some"}),
               node("OptionalHasElement", {"nothing"}, {"has_nothing"}), node("OptionalGetElement", {"some"}, {"got"})};
    g.outputs = {tensor_info("has_some", DataType::kBool, {}), tensor_info("has_nothing", DataType::kBool, {}),
                 tensor_info("got", DataType::kFloat32, {2}),
                 boxed("nothing", DataType::kFloat32, ValueKind::kOptionalTensor)};
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    auto r = s->run({{"x", floats({2}, {7, 8})}});
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    EXPECT_EQ(*(*r)[0].tensor.data_as<uint8_t>(), 1);
    EXPECT_EQ(*(*r)[1].tensor.data_as<uint8_t>(), 0);
    EXPECT_EQ(as_floats((*r)[2].tensor), (std::vector<float>{7, 8}));
    EXPECT_EQ((*r)[3].kind, ValueKind::kOptionalTensor);
    EXPECT_FALSE((*r)[3].has_value);

    g.nodes.push_back(node("OptionalGetElement", {"nothing"}, {"boom"}, "get_nothing"));
    g.outputs.push_back(tensor_info("boom", DataType::kFloat32, {2}));
    auto bad_session = session_for(g, kOpset);
    ASSERT_TRUE(bad_session);
    auto bad = bad_session->run({{"x", floats({2}, {7, 8})}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("OptionalGetElement 'get_nothing': input is an empty optional"),
              std::string::npos)
        << bad.status().message();
}

// Loop(M, cond, seq): each iteration appends the iteration number (as float) to the carried sequence.
TEST(Sequence, LoopCarriesASequence) {
    ir::Graph body;
    body.name = "body";
    body.inputs = {tensor_info("i", DataType::kInt64, {}), tensor_info("c", DataType::kBool, {}),
                   boxed("s_in", DataType::kFloat32, ValueKind::kSequence)};
    ir::Node cast = node("Cast", {"i"}, {"f"});
    cast.attributes.push_back(int_attr("to", static_cast<int64_t>(DataType::kFloat32)));
    body.nodes = {cast, node("SequenceInsert", {"s_in", "f"}, {"s_out"}), node("Identity", {"c"}, {"c_out"})};
    body.outputs = {tensor_info("c_out", DataType::kBool, {}),
                    boxed("s_out", DataType::kFloat32, ValueKind::kSequence)};

    ir::Graph g;
    g.name = "loop_seq";
    g.inputs = {tensor_info("m", DataType::kInt64, {})};
    g.add_initializer("yes", Tensor::from_vector<uint8_t>(DataType::kBool, {}, {1}));
    g.initializer_order = {"yes"};
    ir::Node empty = node("SequenceEmpty", {}, {"e"});
    ir::Node loop = node("Loop", {"m", "yes", "e"}, {"result"}, "loop");
    loop.attributes.push_back(graph_attr("body", body));
    g.nodes = {empty, loop, node("ConcatFromSequence", {"result"}, {"all"})};
    g.nodes[2].attributes.push_back(int_attr("axis", 0));
    g.nodes[2].attributes.push_back(int_attr("new_axis", 1));
    g.outputs = {boxed("result", DataType::kFloat32, ValueKind::kSequence), tensor_info("all", DataType::kFloat32, {})};
    g.outputs[1].shape = ir::Shape::unknown_rank();
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    auto r = s->run({{"m", int64s({}, {4})}});
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    ASSERT_EQ((*r)[0].sequence.size(), 4u);
    EXPECT_EQ(as_floats((*r)[1].tensor), (std::vector<float>{0, 1, 2, 3}));
    auto none = s->run({{"m", int64s({}, {0})}});  // no iteration: the sequence stays empty
    ASSERT_FALSE(none.is_ok());
    EXPECT_NE(none.status().message().find("ConcatFromSequence"), std::string::npos) << none.status().message();
    EXPECT_NE(none.status().message().find("input_sequence is empty"), std::string::npos) << none.status().message();
}

// If whose branches give sequences (one built from an outer-scope sequence).
TEST(Sequence, IfGivesASequence) {
    ir::Graph then_g;
    then_g.name = "then";
    then_g.nodes = {node("SequenceInsert", {"outer", "x"}, {"longer"})};
    then_g.outputs = {boxed("longer", DataType::kFloat32, ValueKind::kSequence)};
    ir::Graph else_g;
    else_g.name = "else";
    else_g.nodes = {node("Identity", {"outer"}, {"same"})};
    else_g.outputs = {boxed("same", DataType::kFloat32, ValueKind::kSequence)};
    ir::Graph g;
    g.name = "if_seq";
    g.inputs = {tensor_info("cond", DataType::kBool, {}), tensor_info("x", DataType::kFloat32, {1})};
    ir::Node iff = node("If", {"cond"}, {"res"});
    iff.attributes.push_back(graph_attr("then_branch", then_g));
    iff.attributes.push_back(graph_attr("else_branch", else_g));
    g.nodes = {node("SequenceConstruct", {"x"}, {"outer"}), iff};
    g.outputs = {boxed("res", DataType::kFloat32, ValueKind::kSequence)};
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    for (bool c : {true, false}) {
        auto r = s->run({{"cond", Tensor::from_vector<uint8_t>(DataType::kBool, {}, {c})}, {"x", floats({1}, {5})}});
        ASSERT_TRUE(r.is_ok()) << r.status().message();
        EXPECT_EQ((*r)[0].sequence.size(), c ? 2u : 1u);
    }
}

TEST(Sequence, SequenceMapAddsPerElement) {
    ir::Graph body;
    body.name = "body";
    body.inputs = {tensor_info("e", DataType::kFloat32, {}), tensor_info("k", DataType::kFloat32, {1})};
    body.inputs[0].shape = ir::Shape::unknown_rank();
    body.nodes = {node("Add", {"e", "k"}, {"out"})};
    body.outputs = {tensor_info("out", DataType::kFloat32, {})};
    body.outputs[0].shape = ir::Shape::unknown_rank();
    ir::Graph g;
    g.name = "map";
    g.inputs = {boxed("xs", DataType::kFloat32, ValueKind::kSequence), tensor_info("k", DataType::kFloat32, {1})};
    ir::Node map = node("SequenceMap", {"xs", "k"}, {"ys"});
    map.attributes.push_back(graph_attr("body", body));
    g.nodes = {map};
    g.outputs = {boxed("ys", DataType::kFloat32, ValueKind::kSequence)};
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    auto r = s->run({sequence_input("xs", {floats({2}, {1, 2}), floats({3}, {3, 4, 5})}), {"k", floats({1}, {10})}});
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    ASSERT_EQ((*r)[0].sequence.size(), 2u);
    EXPECT_EQ(as_floats((*r)[0].sequence[0]), (std::vector<float>{11, 12}));
    EXPECT_EQ(as_floats((*r)[0].sequence[1]), (std::vector<float>{13, 14, 15}));
}

TEST(Sequence, OptionalInputsAcceptNoneAndValues) {
    ir::Graph g;
    g.name = "opt_in";
    g.inputs = {boxed("o", DataType::kFloat32, ValueKind::kOptionalSequence)};
    g.nodes = {node("OptionalHasElement", {"o"}, {"has"}), node("Identity", {"o"}, {"same"})};
    g.outputs = {tensor_info("has", DataType::kBool, {}),
                 boxed("same", DataType::kFloat32, ValueKind::kOptionalSequence)};
    auto s = session_for(g, kOpset);
    ASSERT_TRUE(s);
    NamedTensor none{"o", {}};
    none.kind = ValueKind::kOptionalSequence;
    none.has_value = false;
    auto r = s->run({none});
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    EXPECT_EQ(*(*r)[0].tensor.data_as<uint8_t>(), 0);
    EXPECT_FALSE((*r)[1].has_value);
    auto some = s->run({sequence_input("o", {floats({1}, {1})})});  // a sequence where an optional one is declared
    ASSERT_TRUE(some.is_ok()) << some.status().message();
    EXPECT_EQ(*(*some)[0].tensor.data_as<uint8_t>(), 1);
    EXPECT_EQ((*some)[1].kind, ValueKind::kOptionalSequence);
    ASSERT_EQ((*some)[1].sequence.size(), 1u);
}

TEST(Sequence, LoaderKeepsKindsThroughSaveAndLoad) {
    ir::Model m;
    m.ir_version = 8;
    m.opset_imports = {{"", 17}};
    m.graph = construct_insert_at_graph();
    m.graph.value_info.push_back(boxed("s0", DataType::kFloat32, ValueKind::kSequence));
    m.graph.inputs.push_back(boxed("o", DataType::kInt64, ValueKind::kOptionalSequence));
    m.graph.inputs.push_back(boxed("p", DataType::kInt64, ValueKind::kOptionalTensor));
    auto bytes = model::serialize_model(m);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().message();
    auto back = model::load_model_from_bytes(bytes->data(), bytes->size());
    ASSERT_TRUE(back.is_ok()) << back.status().message();
    std::string why;
    EXPECT_TRUE(ir::graphs_equal(m.graph, back->graph, &why)) << why;
    EXPECT_EQ(back->graph.inputs[4].kind, ValueKind::kOptionalSequence);
    EXPECT_EQ(back->graph.inputs[5].kind, ValueKind::kOptionalTensor);
}

TEST(Sequence, ValueKindNamesAndValueHelpers) {
    for (ValueKind k :
         {ValueKind::kTensor, ValueKind::kSequence, ValueKind::kOptionalTensor, ValueKind::kOptionalSequence}) {
        ValueKind parsed = ValueKind::kTensor;
        ASSERT_TRUE(parse_value_kind(value_kind_name(k), parsed));
        EXPECT_EQ(parsed, k);
    }
    ValueKind unused;
    EXPECT_FALSE(parse_value_kind("map", unused));
    ir::Value seq = ir::Value::sequence(DataType::kFloat32, {floats({1}, {1}), floats({2}, {2, 3})});
    EXPECT_EQ(seq.describe(), "sequence of 2 float32 tensors");
    ir::Value opt = ir::Value::optional_of(seq);
    EXPECT_EQ(opt.kind, ValueKind::kOptionalSequence);
    EXPECT_TRUE(opt.holds_sequence());
    EXPECT_EQ(opt.element().kind, ValueKind::kSequence);
    ir::Value none = ir::Value::none(ValueKind::kOptionalTensor, DataType::kInt64);
    EXPECT_FALSE(none.holds_tensor());
    EXPECT_EQ(none.describe(), "empty optional(tensor) of int64");
    ir::Value copy = seq.clone();
    EXPECT_NE(copy.items[0].data(), seq.items[0].data());
    EXPECT_EQ(as_floats(copy.items[1]), (std::vector<float>{2, 3}));
}

}  // namespace
}  // namespace edgeinfer::testing
