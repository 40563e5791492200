// Bad inputs to a Session: one clear error each (exact code, key words), and the session keeps
// working afterwards.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "edgeinfer/session.hpp"

namespace edgeinfer {
namespace {

std::string model(const std::string& name) { return std::string(EDGEINFER_TEST_MODELS_DIR) + "/" + name; }

Tensor image(std::vector<int64_t> dims, DataType dtype = DataType::kFloat32) { return Tensor::allocate(dtype, dims); }

class SessionErrors : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = Session::create(model("small_cnn.onnx"));
        ASSERT_TRUE(s.is_ok()) << s.status().to_string();
        session_ = std::move(s).value();
    }
    void expect_error(const std::vector<NamedTensor>& inputs, StatusCode code, std::vector<std::string> words) {
        auto r = session_->run(inputs);
        ASSERT_FALSE(r.is_ok());
        EXPECT_EQ(r.status().code(), code) << r.status().to_string();
        for (const auto& w : words)
            EXPECT_NE(r.status().message().find(w), std::string::npos) << "'" << w << "' not in " << r.status().message();
        // Still usable.
        auto ok = session_->run({{"input", image({1, 3, 8, 8})}});
        EXPECT_TRUE(ok.is_ok()) << ok.status().to_string();
    }
    std::unique_ptr<Session> session_;
};

TEST_F(SessionErrors, WrongInputName) {
    expect_error({{"imag", image({1, 3, 8, 8})}}, StatusCode::kInvalidArgument, {"unknown input 'imag'", "input"});
}

TEST_F(SessionErrors, MissingInput) { expect_error({}, StatusCode::kInvalidArgument, {"missing input 'input'"}); }

TEST_F(SessionErrors, ExtraInput) {
    expect_error({{"input", image({1, 3, 8, 8})}, {"extra", image({1})}}, StatusCode::kInvalidArgument,
                 {"unknown input 'extra'"});
}

TEST_F(SessionErrors, DuplicateInput) {
    expect_error({{"input", image({1, 3, 8, 8})}, {"input", image({1, 3, 8, 8})}}, StatusCode::kInvalidArgument,
                 {"more than once"});
}

TEST_F(SessionErrors, WrongRank) {
    expect_error({{"input", image({3, 8, 8})}}, StatusCode::kInvalidArgument, {"rank 3", "rank 4", "batch x 3 x 8 x 8"});
}

TEST_F(SessionErrors, WrongDtype) {
    expect_error({{"input", image({1, 3, 8, 8}, DataType::kInt64)}}, StatusCode::kInvalidArgument,
                 {"dtype int64", "float32"});
}

TEST_F(SessionErrors, FixedDimConflict) {
    expect_error({{"input", image({1, 4, 8, 8})}}, StatusCode::kInvalidArgument, {"dim 1 must be 3", "1x4x8x8"});
}

TEST_F(SessionErrors, NullData) {
    expect_error({{"input", Tensor::wrap(DataType::kFloat32, {1, 3, 8, 8}, nullptr)}}, StatusCode::kInvalidArgument,
                 {"no data"});
}

TEST_F(SessionErrors, NanAndInfPropagate) {
    Tensor x = image({1, 3, 8, 8});
    x.data_as<float>()[0] = std::numeric_limits<float>::quiet_NaN();
    x.data_as<float>()[1] = std::numeric_limits<float>::infinity();
    auto r = session_->run({{"input", x}});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    bool any_nan = false;
    for (int i = 0; i < 10; ++i) any_nan = any_nan || std::isnan((*r)[0].tensor.data_as<float>()[i]);
    EXPECT_TRUE(any_nan);
}

TEST_F(SessionErrors, ZeroSizedBatch) {
    auto r = session_->run({{"input", image({0, 3, 8, 8})}});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0, 10}));
}

TEST(SessionCreate, AllUnsupportedNodesInOneError) {
    auto s = Session::create(model("unsupported_ops.onnx"));
    ASSERT_FALSE(s.is_ok());
    EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
    const std::string& m = s.status().message();
    for (const char* w : {"3 of 4 nodes", "FancyOp 'fancy1'", "FancyOp 'fancy2'", "com.example:OtherOp"})
        EXPECT_NE(m.find(w), std::string::npos) << "'" << w << "' not in " << m;
    EXPECT_EQ(m.find("'ok'"), std::string::npos) << m;
}

TEST(SessionCreate, BadModelFilesKeepTheirCodes) {
    EXPECT_EQ(Session::create(model("truncated.onnx")).status().code(), StatusCode::kInvalidModel);
    EXPECT_EQ(Session::create("/nonexistent.onnx").status().code(), StatusCode::kNotFound);
    EXPECT_EQ(Session::create_from_bytes("abc", 3).status().code(), StatusCode::kInvalidModel);
}

TEST(SessionReshape, ImpossibleShapeNamesTheNodeAndRecovers) {
    auto s = Session::create(model("reshape_input.onnx"));
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    Tensor x = image({2, 6});
    auto bad = s.value()->run({{"x", x}, {"shape", Tensor::from_vector<int64_t>(DataType::kInt64, {2}, {5, 5})}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().to_string();
    EXPECT_NE(bad.status().message().find("Reshape 'reshape'"), std::string::npos) << bad.status().message();
    auto good = s.value()->run({{"x", x}, {"shape", Tensor::from_vector<int64_t>(DataType::kInt64, {2}, {3, 4})}});
    EXPECT_TRUE(good.is_ok()) << good.status().to_string();
}

}  // namespace
}  // namespace edgeinfer
