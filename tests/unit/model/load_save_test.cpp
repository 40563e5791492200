#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <unistd.h>
#include <fstream>

#include "model/onnx_model.hpp"

namespace edgeinfer::model {
namespace {
namespace fs = std::filesystem;

std::string models_dir() { return EDGEINFER_TEST_MODELS_DIR; }
std::string path_of(const std::string& name) { return models_dir() + "/" + name; }

fs::path temp_dir(const std::string& name) {
    fs::path p = fs::temp_directory_path() / ("edgeinfer_model_test_" + name + "_" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
}

TEST(Load, ReadsEverythingInSmallCnn) {
    auto r = load_model(path_of("small_cnn.onnx"));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const ir::Model& m = r.value();
    EXPECT_EQ(m.ir_version, 8);
    EXPECT_EQ(m.producer_name, "edgeinfer-tests");
    EXPECT_EQ(m.opset_version(""), 13);
    ASSERT_EQ(m.metadata_props.size(), 1u);
    EXPECT_EQ(m.metadata_props[0].first, "author");
    ASSERT_EQ(m.graph.inputs.size(), 1u);
    const ir::ValueInfo& in = m.graph.inputs[0];
    EXPECT_EQ(in.name, "input");
    EXPECT_EQ(in.dtype, DataType::kFloat32);
    EXPECT_EQ(in.shape.to_string(), "batch x 3 x 8 x 8");
    EXPECT_EQ(in.shape.dims[0].symbol, "batch");
    ASSERT_EQ(m.graph.nodes.size(), 5u);
    const ir::Node& conv = m.graph.nodes[0];
    EXPECT_EQ(conv.op_type, "Conv");
    EXPECT_EQ(conv.name, "conv");
    EXPECT_EQ(conv.attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
    EXPECT_EQ(m.graph.nodes[4].attr_int("transB", 0), 1);
    const Tensor* w = m.graph.find_initializer("conv.weight");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->dims(), (std::vector<int64_t>{4, 3, 3, 3}));
    const Tensor* shape = m.graph.find_initializer("flat_shape");
    ASSERT_NE(shape, nullptr);
    EXPECT_EQ(shape->dtype(), DataType::kInt64);
    EXPECT_EQ(shape->data_as<int64_t>()[0], -1);
    EXPECT_EQ(shape->data_as<int64_t>()[1], 4);
}

TEST(Load, ShapeInferenceAnnotatesIntermediatesKeepingSymbols) {
    LoadOptions opts;
    opts.infer_shapes = true;
    auto r = load_model(path_of("small_cnn.onnx"), opts);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const ir::ValueInfo* c = r->graph.find_value_info("c");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->shape.to_string(), "batch x 4 x 8 x 8");
    EXPECT_EQ(load_model(path_of("small_cnn.onnx"))->graph.find_value_info("c"), nullptr);
}

TEST(Load, SubgraphAttributes) {
    auto r = load_model(path_of("with_if.onnx"));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const ir::Attribute* then_branch = r->graph.nodes[0].find_attribute("then_branch");
    ASSERT_NE(then_branch, nullptr);
    ASSERT_EQ(then_branch->kind, ir::Attribute::Kind::kGraph);
    EXPECT_EQ(then_branch->g->nodes[0].op_type, "Relu");
    EXPECT_EQ(then_branch->g->nodes[0].inputs[0], "x");  // outer-scope value
}

TEST(Load, ExternalDataMatchesInline) {
    auto inline_model = load_model(path_of("small_cnn.onnx"));
    auto external = load_model(path_of("external.onnx"));
    ASSERT_TRUE(external.is_ok()) << external.status().to_string();
    for (const auto& name : inline_model->graph.initializer_order) {
        const Tensor* a = inline_model->graph.find_initializer(name);
        const Tensor* b = external->graph.find_initializer(name);
        ASSERT_NE(b, nullptr) << name;
        ASSERT_EQ(a->dims(), b->dims()) << name;
        EXPECT_EQ(0, std::memcmp(a->data(), b->data(), a->nbytes())) << name;
    }
}

TEST(Load, FromBytes) {
    std::ifstream f(path_of("small_cnn.onnx"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto r = load_model_from_bytes(bytes.data(), bytes.size(), {}, "buffer");
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->graph.nodes.size(), 5u);
    // External data cannot be resolved without a directory, and says so.
    std::ifstream e(path_of("external.onnx"), std::ios::binary);
    std::string ebytes((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
    auto er = load_model_from_bytes(ebytes.data(), ebytes.size(), {}, "buffer");
    ASSERT_FALSE(er.is_ok());
    EXPECT_NE(er.status().message().find("in-memory"), std::string::npos) << er.status().message();
}

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, LoadSaveLoadIsIdenticalAndPassesChecker) {
    auto first = load_model(path_of(GetParam()));
    ASSERT_TRUE(first.is_ok()) << first.status().to_string();
    fs::path dir = temp_dir("rt");
    std::string out = (dir / GetParam()).string();
    ASSERT_TRUE(save_model(first.value(), out).is_ok());
    Status checked = check_model_file(out);
    EXPECT_TRUE(checked.is_ok()) << checked.to_string();
    auto second = load_model(out);
    ASSERT_TRUE(second.is_ok()) << second.status().to_string();
    ir::Model a = first.value();
    ir::Model b = second.value();
    std::string why;
    EXPECT_TRUE(ir::models_equal(a, b, &why)) << why;
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Models, RoundTrip, ::testing::Values("small_cnn.onnx", "with_if.onnx", "external.onnx"));

TEST(Save, ExternalDataRoundTrip) {
    auto m = load_model(path_of("small_cnn.onnx"));
    ASSERT_TRUE(m.is_ok());
    fs::path dir = temp_dir("ext");
    SaveOptions opts;
    opts.external_data = true;
    opts.external_threshold = 16;
    std::string out = (dir / "m.onnx").string();
    ASSERT_TRUE(save_model(m.value(), out, opts).is_ok());
    EXPECT_TRUE(fs::exists(dir / "m.onnx.data"));
    EXPECT_LT(fs::file_size(out), fs::file_size(path_of("small_cnn.onnx")));
    EXPECT_TRUE(check_model_file(out).is_ok());
    auto back = load_model(out);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    std::string why;
    EXPECT_TRUE(ir::graphs_equal(m->graph, back->graph, &why)) << why;
    fs::remove_all(dir);
}

TEST(Save, UnwritablePathIsAnIoError) {
    auto m = load_model(path_of("small_cnn.onnx"));
    ASSERT_TRUE(m.is_ok());
    Status s = save_model(m.value(), "/nonexistent-dir/x.onnx");
    EXPECT_EQ(s.code(), StatusCode::kIoError);
    EXPECT_NE(s.message().find("/nonexistent-dir/x.onnx"), std::string::npos);
}

TEST(Serialize, BytesReload) {
    auto m = load_model(path_of("small_cnn.onnx"));
    auto bytes = serialize_model(m.value());
    ASSERT_TRUE(bytes.is_ok());
    auto back = load_model_from_bytes(bytes->data(), bytes->size());
    ASSERT_TRUE(back.is_ok());
    EXPECT_TRUE(ir::graphs_equal(m->graph, back->graph));
}

}  // namespace
}  // namespace edgeinfer::model
