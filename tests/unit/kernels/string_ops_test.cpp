// Opset 20's string operators (kernels/cpu/text.cpp): StringConcat with broadcasting, RegexFullMatch
// (std::regex ECMAScript, refusing RE2-only syntax by name), StringSplit with and without a delimiter
// and with maxsplit, and ImageDecoder's refusal with its reason.
#include <gtest/gtest.h>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

TEST(StringOps, ConcatBroadcasts) {
    ModelBuilder b(20);
    b.input("x", {2, 1}, DataType::kString).input("y", {3}, DataType::kString).output("z", DataType::kString);
    b.node("StringConcat", {"x", "y"}, {"z"}, "cat");
    auto out = try_run(b.m, {{"x", Tensor::strings({2, 1}, {"a", "bb"})}, {"y", Tensor::strings({3}, {"1", "", "3"})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ((*out)[0].tensor.string_data(), (std::vector<std::string>{"a1", "a", "a3", "bb1", "bb", "bb3"}));
}

TEST(StringOps, RegexFullMatchMatchesWholeStrings) {
    ModelBuilder b(20);
    b.input("x", {4}, DataType::kString).output("y", DataType::kBool);
    b.node("RegexFullMatch", {"x"}, {"y"}, "re", {attr_s("pattern", "[a-z]+@[a-z]+\\.(com|org)")});
    auto out =
        try_run(b.m, {{"x", Tensor::strings({4}, {"ann@site.com", "bob@site.net", "x ann@site.org", "c@d.org"})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<uint8_t>((*out)[0].tensor), (std::vector<uint8_t>{1, 0, 0, 1}));
}

// RE2's (?i) at the start of a pattern: case-insensitive matching.
TEST(StringOps, RegexFullMatchLeadingCaseInsensitiveFlag) {
    ModelBuilder b(20);
    b.input("x", {3}, DataType::kString).output("y", DataType::kBool);
    b.node("RegexFullMatch", {"x"}, {"y"}, "re", {attr_s("pattern", "(?i)apple|banana")});
    auto out = try_run(b.m, {{"x", Tensor::strings({3}, {"APPLE", "BaNaNa", "cherry"})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<uint8_t>((*out)[0].tensor), (std::vector<uint8_t>{1, 1, 0}));
}

TEST(StringOps, RegexFullMatchRefusesPatternsStdRegexCannotCompile) {
    ModelBuilder b(20);
    b.input("x", {1}, DataType::kString).output("y", DataType::kBool);
    b.node("RegexFullMatch", {"x"}, {"y"}, "re2_only", {attr_s("pattern", "(?P<word>abc)")});
    auto out = try_run(b.m, {{"x", Tensor::strings({1}, {"abc"})}});
    ASSERT_FALSE(out.is_ok());
    for (const char* w : {"RegexFullMatch 're2_only'", "pattern '(?P<word>abc)'", "ECMAScript", "(?P<name>)"})
        EXPECT_NE(out.status().message().find(w), std::string::npos) << w << " not in " << out.status().message();
    // \A compiles in std::regex as the letter A: refused rather than matched differently.
    ModelBuilder a(20);
    a.input("x", {1}, DataType::kString).output("y", DataType::kBool);
    a.node("RegexFullMatch", {"x"}, {"y"}, "anchor", {attr_s("pattern", "\\Aabc")});
    auto anchored = try_run(a.m, {{"x", Tensor::strings({1}, {"Aabc"})}});
    ASSERT_FALSE(anchored.is_ok());
    for (const char* w : {"RegexFullMatch 'anchor'", "uses \\A", "plain letter"})
        EXPECT_NE(anchored.status().message().find(w), std::string::npos)
            << w << " not in " << anchored.status().message();
}

TEST(StringOps, SplitOnADelimiterKeepsEmptyPartsAndPads) {
    ModelBuilder b(20);
    b.input("x", {3}, DataType::kString).output("y", DataType::kString).output("n", DataType::kInt64);
    b.node("StringSplit", {"x"}, {"y", "n"}, "split", {attr_s("delimiter", ",")});
    auto out = try_run(b.m, {{"x", Tensor::strings({3}, {"a,b,,c", "one", ""})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{3, 4}));
    EXPECT_EQ((*out)[0].tensor.string_data(),
              (std::vector<std::string>{"a", "b", "", "c", "one", "", "", "", "", "", "", ""}));
    EXPECT_EQ(values_of<int64_t>((*out)[1].tensor), (std::vector<int64_t>{4, 1, 0}));  // "": no parts (ORT)
}

TEST(StringOps, SplitOnWhitespaceWithMaxsplit) {
    ModelBuilder b(20);
    b.input("x", {2, 1}, DataType::kString).output("y", DataType::kString).output("n", DataType::kInt64);
    b.node("StringSplit", {"x"}, {"y", "n"}, "split", {attr_i("maxsplit", 1)});
    auto out = try_run(b.m, {{"x", Tensor::strings({2, 1}, {"  hello   big world ", "   "})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    // Python: "  hello   big world ".split(None, 1) == ["hello", "big world "]; "   ".split() == [].
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{2, 1, 2}));
    EXPECT_EQ((*out)[0].tensor.string_data(), (std::vector<std::string>{"hello", "big world ", "", ""}));
    EXPECT_EQ(values_of<int64_t>((*out)[1].tensor), (std::vector<int64_t>{2, 0}));
}

TEST(StringOps, ImageDecoderIsRefusedWithItsReason) {
    ModelBuilder b(20);
    b.input("x", {10}, DataType::kUInt8).output("y", DataType::kUInt8);
    b.node("ImageDecoder", {"x"}, {"y"}, "decode");
    auto out = try_run(b.m, {{"x", Tensor::allocate(DataType::kUInt8, {10})}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
    for (const char* w : {"ImageDecoder 'decode'", "image codec", "decode before the model"})
        EXPECT_NE(out.status().message().find(w), std::string::npos) << w << " not in " << out.status().message();
}

}  // namespace
}  // namespace edgeinfer::testing
