// Text kernels (kernels/cpu/text.cpp, cast.cpp): StringNormalizer on a [1, C] input, TfIdfVectorizer with
// a string pool in TF-IDF mode and with skips, Cast to and from string, and the errors each gets.
#include <gtest/gtest.h>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

ir::Attribute attr_strings(const std::string& name, std::vector<std::string> values) {
    ir::Attribute a;
    a.name = name;
    a.kind = ir::Attribute::Kind::kStrings;
    a.strings = std::move(values);
    return a;
}

ir::Attribute attr_floats(const std::string& name, std::vector<float> values) {
    ir::Attribute a;
    a.name = name;
    a.kind = ir::Attribute::Kind::kFloats;
    a.floats = std::move(values);
    return a;
}

TEST(TextKernels, StringNormalizerFoldsCaseAndDropsStopwordsInsensitively) {
    ModelBuilder b(10);
    b.input("x", {1, 4}, DataType::kString).output("y", DataType::kString);
    b.node("StringNormalizer", {"x"}, {"y"}, "norm",
           {attr_s("case_change_action", "LOWER"), attr_strings("stopwords", {"THE"})});
    auto out = try_run(b.build(), {{"x", Tensor::strings({1, 4}, {"The", "Quick", "the", "FOX"})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ((*out)[0].tensor.string_data(), (std::vector<std::string>{"quick", "fox"}));
}

TEST(TextKernels, TfIdfWithAStringPoolWeighsCountsAndSkips) {
    // Pool: unigrams "a" -> 0, "b" -> 1; bigram ("a", "c") -> 2. With one skip, "a _ c" counts as a bigram.
    ModelBuilder b(9);
    b.input("x", {5}, DataType::kString).output("y");
    b.node("TfIdfVectorizer", {"x"}, {"y"}, "tfidf",
           {attr_i("min_gram_length", 1), attr_i("max_gram_length", 2), attr_i("max_skip_count", 1),
            attr_s("mode", "TFIDF"), attr_is("ngram_counts", {0, 2}), attr_is("ngram_indexes", {0, 1, 2}),
            attr_strings("pool_strings", {"a", "b", "a", "c"}), attr_floats("weights", {1.0f, 0.5f, 2.0f})});
    ir::Model m = b.build();
    auto out = try_run(m, {{"x", Tensor::strings({5}, {"a", "b", "c", "a", "c"})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    // "a" twice (weight 1), "b" once (0.5), ("a","c"): "a c" at 3-4 (step 1) and "a _ c" at 0-2 (step 2).
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{2.0f, 0.5f, 4.0f}));
    auto wrong = try_run(m, {{"x", int64s_shaped({5}, {1, 2, 3, 4, 5})}});
    ASSERT_FALSE(wrong.is_ok());
}

TEST(TextKernels, TfIdfRejectsAPoolThatIsNotWholeNgrams) {
    ModelBuilder b(9);
    b.input("x", {3}, DataType::kInt64).output("y");
    b.node("TfIdfVectorizer", {"x"}, {"y"}, "tfidf",
           {attr_i("min_gram_length", 2), attr_i("max_gram_length", 2), attr_s("mode", "TF"),
            attr_is("ngram_counts", {0, 0}), attr_is("ngram_indexes", {0}), attr_is("pool_int64s", {1, 2, 3})});
    auto out = try_run(b.build(), {{"x", int64s_shaped({3}, {1, 2, 3})}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_NE(out.status().message().find("whole 2-grams"), std::string::npos) << out.status().to_string();
}

TEST(TextKernels, CastToAndFromStringRoundTripsAndNamesText) {
    ModelBuilder to_text(13);
    to_text.input("x", {3}).output("y", DataType::kString);
    to_text.node("Cast", {"x"}, {"y"}, "cast", {attr_i("to", 8)});
    auto text = try_run(to_text.build(), {{"x", floats({3}, {0.039187793f, -2.5f, 1e-5f})}});
    ASSERT_TRUE(text.is_ok()) << text.status().to_string();
    EXPECT_EQ((*text)[0].tensor.string_data(), (std::vector<std::string>{"0.039187793", "-2.5", "1e-05"}));

    ModelBuilder from_text(13);
    from_text.input("x", {3}, DataType::kString).output("y");
    from_text.node("Cast", {"x"}, {"y"}, "cast", {attr_i("to", 1)});
    ir::Model m = from_text.build();
    auto numbers = try_run(m, {{"x", Tensor::strings({3}, {"0.25", "-INF", "7"})}});
    ASSERT_TRUE(numbers.is_ok()) << numbers.status().to_string();
    EXPECT_EQ(values_of<float>((*numbers)[0].tensor)[0], 0.25f);
    EXPECT_TRUE(std::isinf(values_of<float>((*numbers)[0].tensor)[1]));
    auto bad = try_run(m, {{"x", Tensor::strings({3}, {"1", "two", "3"})}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("element 1 'two' is not a number"), std::string::npos)
        << bad.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing
