#include <gtest/gtest.h>

#include "base/status.hpp"

namespace edgeinfer {
namespace {

Result<int> half(int v) {
    if (v % 2) return invalid_argument("odd value " + std::to_string(v));
    return v / 2;
}

Result<int> quarter(int v) {
    EDGEINFER_ASSIGN_OR_RETURN(int h, half(v));
    EDGEINFER_ASSIGN_OR_RETURN(int q, half(h));
    return q;
}

Status check_even(int v) {
    EDGEINFER_RETURN_IF_ERROR(half(v).status().is_ok() ? Status::ok() : half(v).status());
    return Status::ok();
}

TEST(Status, OkByDefault) {
    Status s;
    EXPECT_TRUE(s.is_ok());
    EXPECT_EQ(s.to_string(), "OK");
}

TEST(Status, CodeAndMessage) {
    Status s = invalid_model("m.onnx: bad");
    EXPECT_FALSE(s.is_ok());
    EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
    EXPECT_EQ(s.to_string(), "InvalidModel: m.onnx: bad");
    EXPECT_EQ(s.with_context("loading").message(), "loading: m.onnx: bad");
}

TEST(Result, PropagatesThroughMacros) {
    EXPECT_EQ(quarter(8).value(), 2);
    auto r = quarter(6);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "odd value 3");
    EXPECT_TRUE(check_even(4).is_ok());
    EXPECT_FALSE(check_even(5).is_ok());
}

TEST(Result, FromOkStatusIsAnInternalError) {
    Result<int> r{Status::ok()};
    EXPECT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(StatusCode, NamesAreStable) {
    EXPECT_EQ(status_code_name(StatusCode::kEndOfStream), "EndOfStream");
    EXPECT_EQ(status_code_name(StatusCode::kSourceLost), "SourceLost");
    EXPECT_EQ(static_cast<int>(StatusCode::kUnsupported), 4);
}

}  // namespace
}  // namespace edgeinfer
