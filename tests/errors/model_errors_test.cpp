// Every kind of bad model file gets one clear error with the right code, never a crash.
#include <gtest/gtest.h>

#include "model/onnx_model.hpp"

namespace edgeinfer::model {
namespace {

std::string path_of(const std::string& name) { return std::string(EDGEINFER_TEST_MODELS_DIR) + "/" + name; }

struct BadCase {
    std::string file;
    StatusCode code;
    std::vector<std::string> words;  // each must appear in the message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.file; }

class BadModel : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadModel, FailsWithClearError) {
    const BadCase& c = GetParam();
    std::string path = c.file.front() == '/' ? c.file : path_of(c.file);
    auto r = load_model(path);
    ASSERT_FALSE(r.is_ok()) << c.file << " loaded";
    EXPECT_EQ(r.status().code(), c.code) << r.status().to_string();
    const std::string& msg = r.status().message();
    EXPECT_NE(msg.find(path), std::string::npos) << "message must name the file: " << msg;
    for (const std::string& w : c.words) EXPECT_NE(msg.find(w), std::string::npos) << "'" << w << "' not in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadModel,
    ::testing::Values(BadCase{"/nonexistent/model.onnx", StatusCode::kNotFound, {"no such file"}},
                      BadCase{EDGEINFER_TEST_MODELS_DIR, StatusCode::kInvalidArgument, {"directory"}},
                      BadCase{"empty.onnx", StatusCode::kInvalidModel, {"empty"}},
                      BadCase{"truncated.onnx", StatusCode::kInvalidModel, {"not a valid ONNX protobuf", "truncated"}},
                      BadCase{"random_bytes.onnx", StatusCode::kInvalidModel, {"not a valid ONNX protobuf"}},
                      BadCase{"tensor_not_model.onnx", StatusCode::kInvalidModel, {"not a valid ONNX protobuf"}},
                      BadCase{"no_graph.onnx", StatusCode::kInvalidModel, {"not an ONNX model", "no graph"}},
                      BadCase{"dangling_input.onnx", StatusCode::kInvalidModel, {"Relu 'relu'", "does_not_exist"}},
                      BadCase{"opset_too_new.onnx", StatusCode::kUnsupported, {"opset 99", "1 to 21"}},
                      BadCase{"external_missing.onnx", StatusCode::kInvalidModel, {"conv.weight", "missing"}},
                      BadCase{"external_short.onnx",
                              StatusCode::kInvalidModel,
                              {"tensor ", "external_short.onnx.data", "has 100 bytes, needs"}},
                      BadCase{
                          "bad_initializer.onnx", StatusCode::kInvalidModel, {"conv.weight", "raw_data has 10 bytes"}}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
        std::string n = info.param.file.substr(info.param.file.find_last_of('/') + 1);
        n = n.substr(0, n.find('.'));
        for (char& ch : n)
            if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
        return n.empty() ? std::string("dir") : n;
    });

TEST(BadModel, NotAFileIsRejected) {
    auto r = load_model("/dev/null");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);
}

TEST(BadModel, EmptyBuffer) {
    auto r = load_model_from_bytes(nullptr, 0, {}, "buf");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().message(), "buf: file is empty (0 bytes)");
}

TEST(BadModel, NodesOutOfOrderAreNamed) {
    ir::Model m;
    m.ir_version = 8;
    m.opset_imports = {{"", 13}};
    m.source_path = "order.onnx";
    m.graph.inputs.push_back({"x", DataType::kFloat32, ir::Shape::of({1}), ""});
    m.graph.outputs.push_back({"z", DataType::kFloat32, ir::Shape::of({1}), ""});
    m.graph.nodes.push_back(ir::Node{"second", "Relu", "", {"y"}, {"z"}, {}, ""});
    m.graph.nodes.push_back(ir::Node{"first", "Relu", "", {"x"}, {"y"}, {}, ""});
    Status s = validate_model(m);
    EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
    EXPECT_NE(s.message().find("Relu 'second'"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("topologically"), std::string::npos) << s.message();
}

TEST(BadModel, DuplicateOutputName) {
    ir::Model m;
    m.ir_version = 8;
    m.opset_imports = {{"", 13}};
    m.source_path = "dup.onnx";
    m.graph.inputs.push_back({"x", DataType::kFloat32, ir::Shape::of({1}), ""});
    m.graph.nodes.push_back(ir::Node{"a", "Relu", "", {"x"}, {"y"}, {}, ""});
    m.graph.nodes.push_back(ir::Node{"b", "Relu", "", {"x"}, {"y"}, {}, ""});
    Status s = validate_model(m);
    EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
    EXPECT_NE(s.message().find("'y' is defined more than once"), std::string::npos) << s.message();
}

TEST(BadModel, MissingGraphOutput) {
    ir::Model m;
    m.ir_version = 8;
    m.opset_imports = {{"", 13}};
    m.source_path = "out.onnx";
    m.graph.inputs.push_back({"x", DataType::kFloat32, ir::Shape::of({1}), ""});
    m.graph.outputs.push_back({"nowhere", DataType::kFloat32, ir::Shape::of({1}), ""});
    Status s = validate_model(m);
    EXPECT_NE(s.message().find("graph output 'nowhere'"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace edgeinfer::model
