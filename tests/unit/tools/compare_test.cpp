// tools::compare by fault injection: a copy of a model gets one deliberate fault and compare must name
// exactly the faulty node, in full, bisect and reference modes; tools::seeded_inputs and the tensor
// differences it is built on.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>

#include "edgeinfer/tools.hpp"
#include "ir/npy.hpp"
#include "tools_test_util.hpp"

namespace edgeinfer::testing {
namespace {
namespace fs = std::filesystem;

TEST(ToolsCompare, IdenticalModelsMatch) {
    std::string a = save(compare_net(), "net.onnx");
    auto r = tools::compare(a, a);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->match());
    EXPECT_EQ(r->mode, "full");
    EXPECT_EQ(r->compared, 9u);  // every node output
    EXPECT_EQ(r->values.size(), 9u);
    EXPECT_EQ(r->runs, 2u);
    ASSERT_EQ(r->outputs.size(), 1u);
    EXPECT_EQ(r->outputs[0].a, "y");
    EXPECT_EQ(r->outputs[0].max_abs_diff, 0.0);
    for (const tools::ValueDiff& v : r->values) EXPECT_TRUE(v.ok) << v.a;
}

TEST(ToolsCompare, NamesTheFaultyNodeForEveryFaultKind) {
    std::string a = save(compare_net(), "net.onnx");
    for (const Fault& f : faults()) {
        ir::Model bad = compare_net();
        f.inject(bad);
        std::string b = save(bad, "net_" + f.kind + ".onnx");
        for (bool bisect : {false, true}) {
            tools::CompareOptions o;
            o.bisect = bisect;
            auto r = tools::compare(a, b, o);
            ASSERT_TRUE(r.is_ok()) << r.status().to_string();
            ASSERT_FALSE(r->match()) << f.kind << " bisect " << bisect;
            const tools::FirstMismatch& m = *r->first_mismatch;
            EXPECT_EQ(m.node, f.node) << f.kind << " bisect " << bisect;
            EXPECT_EQ(r->mode, bisect ? "bisect" : "full");
            EXPECT_EQ(m.top.size(), 5u) << f.kind;
            EXPECT_FALSE(m.inputs_a.empty()) << f.kind;
            EXPECT_FALSE(m.inputs_b.empty()) << f.kind;
            EXPECT_GT(m.max_abs_diff, m.limit) << f.kind;
            ASSERT_TRUE(m.stats_a && m.stats_b);
            EXPECT_EQ(m.stats_a->shape, m.stats_b->shape);
            EXPECT_GE(m.top[0].diff, m.top[4].diff);  // largest first
            // Every value before the faulty one agrees: it is the first in A's order.
            if (!bisect) {
                for (const tools::ValueDiff& v : r->values) {
                    if (v.a == m.value) break;
                    EXPECT_TRUE(v.ok) << f.kind << ": " << v.a;
                }
            }
        }
    }
}

// Reference values as a PyTorch hook would dump them: one VALUE.npy per intermediate value.
std::string write_reference_dir(const ir::Model& faulty, const std::string& dir_name, const Tensor& x) {
    ir::Model exposed = faulty;
    for (const ir::Node& n : faulty.graph.nodes)
        if (n.outputs[0] != "y") exposed.graph.outputs.push_back({n.outputs[0], DataType::kUndefined, {}, {}});
    auto outs = run_model(exposed, {{"x", x}});
    fs::path dir = temp_dir() / dir_name;
    fs::create_directories(dir);
    for (const NamedTensor& t : outs) EXPECT_TRUE(ir::write_npy((dir / (t.name + ".npy")).string(), t.tensor).is_ok());
    return dir.string();
}

TEST(ToolsCompare, ReferenceValuesFromNpy) {
    std::string a = save(compare_net(), "net.onnx");
    std::string input = (temp_dir() / "x.npy").string();
    Tensor x = random_tensor({1, 3, 12, 12}, 99);
    ASSERT_TRUE(ir::write_npy(input, x).is_ok());
    tools::CompareOptions o;
    o.input_files = {{"x", input}};
    for (const Fault& f : faults()) {
        ir::Model bad = compare_net();
        f.inject(bad);
        o.references = {write_reference_dir(bad, "ref_" + f.kind, x)};
        auto r = tools::compare(a, "", o);
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        EXPECT_EQ(r->mode, "ref");
        EXPECT_EQ(r->b_label, "reference");
        ASSERT_FALSE(r->match()) << f.kind;
        EXPECT_EQ(r->first_mismatch->node, f.node) << f.kind;
        EXPECT_EQ(r->first_mismatch->node_b_label, "reference");
    }
    // Only the final output as reference: the mismatch is reported on it.
    ir::Model bad = compare_net();
    negate_initializer(bad, "fc.w");
    o.references = {write_reference_dir(bad, "ref_final", x) + "/y.npy"};
    auto r = tools::compare(a, "", o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_FALSE(r->match());
    EXPECT_EQ(r->first_mismatch->value, "y");
    EXPECT_EQ(r->compared, 1u);
    o.references = {"y=" + write_reference_dir(compare_net(), "ref_ok", x) + "/y.npy"};
    r = tools::compare(a, "", o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->match());
}

// OpenCV DNN as the reference: every layer it exposes is matched to edgeinfer's value by name.
TEST(ToolsCompare, OpenCvDnnAsReference) {
    tools::CompareOptions o;
    o.references = {"opencv"};
    o.rtol = 1e-3;
    auto r = tools::compare(cache("resnet18_bn.onnx"), "", o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->mode, "ref-opencv");
    EXPECT_TRUE(r->match());
    EXPECT_GT(r->compared, 40u);  // one per layer, not just the output
}

TEST(ToolsCompare, Errors) {
    std::string a = save(compare_net(), "net.onnx");
    auto r = tools::compare(a, "");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("give either a second model"), std::string::npos);
    r = tools::compare(a, "/nonexistent.onnx");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("/nonexistent.onnx"), std::string::npos) << r.status().to_string();
    tools::CompareOptions o;
    o.input_files = {{"nope", "/tmp/x.npy"}};
    r = tools::compare(a, a, o);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'nope', which is not an input"), std::string::npos);
}

TEST(ToolsInputs, SeededInputsAreDeterministicPerSeed) {
    std::vector<ValueDescription> inputs = {{"x", DataType::kFloat32, {-1, 3, 4, 4}, {"batch", "", "", ""}},
                                            {"ids", DataType::kInt64, {5}, {""}},
                                            {"q", DataType::kInt8, {2, 3}, {"", ""}}};
    auto a = tools::seeded_inputs(inputs, {}, 7);
    auto b = tools::seeded_inputs(inputs, {}, 7);
    auto c = tools::seeded_inputs(inputs, {}, 8);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[0].name, "x");
    EXPECT_EQ(a[0].tensor.dims(), (std::vector<int64_t>{1, 3, 4, 4}));  // dynamic dims as 1
    for (size_t k = 0; k < a.size(); ++k) {
        EXPECT_EQ(tools::compare_tensors(a[k].tensor, b[k].tensor, 0, 0).max_abs, 0.0) << a[k].name;
        EXPECT_GT(tools::compare_tensors(a[k].tensor, c[k].tensor, 0, 0).max_abs, 0.0) << a[k].name;
    }
    for (int64_t i = 0; i < 5; ++i) {
        EXPECT_GE(a[1].tensor.data_as<int64_t>()[i], 0);
        EXPECT_LE(a[1].tensor.data_as<int64_t>()[i], 9);
    }
    auto shaped = tools::seeded_inputs(inputs, {{"x", {2, 3, 4, 4}}}, 7);
    EXPECT_EQ(shaped[0].tensor.dims(), (std::vector<int64_t>{2, 3, 4, 4}));
    // make_inputs without files is seeded_inputs.
    auto made = tools::make_inputs(inputs, {}, {}, 7);
    ASSERT_TRUE(made.is_ok());
    EXPECT_EQ(tools::compare_tensors(a[0].tensor, (*made)[0].tensor, 0, 0).max_abs, 0.0);
}

// What `run -o DIR` writes: NAME.npy per tensor (names made file-safe), NAME_<i>.npy per sequence element,
// nothing for an empty optional; the folder is created.
TEST(ToolsInputs, SaveOutputsWritesNpyFilesAsRunNamesThem) {
    const std::string dir = (temp_dir() / "saved" / "outputs").string();
    std::vector<NamedTensor> outputs(3);
    outputs[0].name = "logits/softmax:0";
    outputs[0].tensor = Tensor::from_vector<float>(DataType::kFloat32, {2}, {1.5f, -2.0f});
    outputs[1].name = "parts";
    outputs[1].kind = ValueKind::kSequence;
    outputs[1].sequence = {Tensor::from_vector<int64_t>(DataType::kInt64, {1}, {7}),
                           Tensor::from_vector<int64_t>(DataType::kInt64, {2}, {8, 9})};
    outputs[2].name = "maybe";
    outputs[2].kind = ValueKind::kOptionalTensor;
    outputs[2].has_value = false;
    auto written = tools::save_outputs(dir, outputs);
    ASSERT_TRUE(written.is_ok()) << written.status().to_string();
    EXPECT_EQ(*written,
              (std::vector<std::string>{dir + "/logits_softmax_0.npy", dir + "/parts_0.npy", dir + "/parts_1.npy"}));
    auto logits = ir::read_npy(dir + "/logits_softmax_0.npy");
    ASSERT_TRUE(logits.is_ok()) << logits.status().to_string();
    EXPECT_EQ(tools::compare_tensors(outputs[0].tensor, *logits, 0, 0).max_abs, 0.0);
    auto second = ir::read_npy(dir + "/parts_1.npy");
    ASSERT_TRUE(second.is_ok()) << second.status().to_string();
    EXPECT_EQ(second->dims(), (std::vector<int64_t>{2}));
    EXPECT_EQ(second->data_as<int64_t>()[1], 9);
    EXPECT_FALSE(fs::exists(dir + "/maybe.npy"));
    // A folder that cannot be made (a file is in the way) is an error naming it.
    std::ofstream(temp_dir() / "blocker") << "x";
    auto blocked = tools::save_outputs((temp_dir() / "blocker" / "out").string(), outputs);
    ASSERT_FALSE(blocked.is_ok());
    EXPECT_NE(blocked.status().message().find("blocker"), std::string::npos) << blocked.status().to_string();
}

TEST(ToolsInputs, ShapesAndDims) {
    auto dims = tools::parse_dims("1x3x224x224", "--shape");
    ASSERT_TRUE(dims.is_ok());
    EXPECT_EQ(*dims, (std::vector<int64_t>{1, 3, 224, 224}));
    EXPECT_FALSE(tools::parse_dims("1xthree", "--shape").is_ok());
    auto shapes = tools::parse_shape_options({"a=1x2", "b:3"}, "--shape");
    ASSERT_TRUE(shapes.is_ok());
    EXPECT_EQ(shapes->at("b"), (std::vector<int64_t>{3}));
    std::vector<ValueDescription> inputs = {{"x", DataType::kFloat32, {-1, 3, -1}, {"batch", "", "h"}}};
    auto r = tools::resolve_input_shapes(inputs, {}, 4, "--shapes");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("dynamic dim 2 ('h'); give its shape with --shapes x:DIMS"), std::string::npos)
        << r.status().message();
    r = tools::resolve_input_shapes(inputs, {{"x", {2, 3, 5}}}, 0, "--shapes");
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r->at("x"), (std::vector<int64_t>{2, 3, 5}));
    r = tools::resolve_input_shapes(inputs, {{"x", {2, 4, 5}}}, 0, "--shapes");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("dim 1 of input 'x' is fixed at 3"), std::string::npos);
}

TEST(ToolsTensorDiff, DifferencesAndStats) {
    Tensor a = Tensor::from_vector<float>(DataType::kFloat32, {2, 2}, {1, 2, 3, NAN});
    Tensor b = Tensor::from_vector<float>(DataType::kFloat32, {2, 2}, {1, 2.5f, 3, NAN});
    tools::Difference d = tools::compare_tensors(a, b, 0.1, 0);
    EXPECT_TRUE(d.comparable);
    EXPECT_DOUBLE_EQ(d.max_abs, 0.5);
    EXPECT_DOUBLE_EQ(d.scale, 3);
    EXPECT_EQ(d.mismatched, 1);
    ASSERT_EQ(d.top.size(), 1u);
    EXPECT_EQ(d.top[0].index, (std::vector<int64_t>{0, 1}));
    EXPECT_FALSE(d.within(0.1, 0));
    EXPECT_TRUE(d.within(0.1, 0.2));  // 0.1 + 0.2 * 3
    tools::TensorStats s = tools::tensor_stats(a);
    EXPECT_EQ(s.nan, 1);
    EXPECT_EQ(s.count, 4);
    EXPECT_DOUBLE_EQ(s.mean, 2);
    EXPECT_EQ(tools::format_stats(s), "min 1  max 3  mean 2  nan 1  inf 0  zeros 0/4");
    Tensor other = Tensor::allocate(DataType::kFloat32, {4});
    EXPECT_FALSE(tools::compare_tensors(a, other, 0, 0).comparable);
    EXPECT_EQ(tools::file_safe("a/b:c d"), "a_b_c_d");
}

TEST(ToolsInputs, OutputSummaryAsRunPrintsIt) {
    const float inf = std::numeric_limits<float>::infinity();
    Tensor t = Tensor::from_vector<float>(DataType::kFloat32, {4}, {1.0f, -2.0f, inf, 5.0f});
    auto s = tools::summarize_output(t);
    ASSERT_TRUE(s.has_value());
    EXPECT_DOUBLE_EQ(s->min, -2.0);
    EXPECT_DOUBLE_EQ(s->max, 5.0);
    EXPECT_DOUBLE_EQ(s->mean, 1.0);  // finite sum 4 over all 4 elements
    EXPECT_EQ(s->nonfinite, 1);
    EXPECT_FALSE(tools::summarize_output(Tensor::from_vector<int64_t>(DataType::kInt64, {1}, {3})).has_value());
    EXPECT_FALSE(tools::summarize_output(Tensor::allocate(DataType::kFloat32, {0})).has_value());
}

TEST(ToolsInputs, ShapeProfilesFromFlags) {
    auto none = tools::parse_shape_profiles({}, {}, {});
    ASSERT_TRUE(none.is_ok());
    EXPECT_TRUE(none->empty());
    auto one = tools::parse_shape_profiles({"x:1x3"}, {"x:2x3"}, {"x:4x3"});
    ASSERT_TRUE(one.is_ok()) << one.status().to_string();
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ((*one)[0].inputs[0].opt, (std::vector<int64_t>{2, 3}));
    auto partial = tools::parse_shape_profiles({"x:1x3"}, {}, {});
    ASSERT_FALSE(partial.is_ok());
    EXPECT_NE(partial.status().message().find("all of --min-shapes"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
