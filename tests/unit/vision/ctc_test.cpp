// CTC greedy decoding on known scores: repeats collapsed before blanks are dropped, per-character
// confidence, both layouts, another blank index, character lists from strings and files, and errors.
#include "vision/ctc.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

namespace edgeinfer::vision {
namespace {

// One time step whose softmax is exactly `p` (log-probabilities).
void push_step(std::vector<float>& v, const std::vector<float>& p) {
    for (float x : p) v.push_back(std::log(x));
}

TEST(CtcGreedy, CollapsesRepeatsThenDropsBlanks) {
    // Best path 1 1 0 1 2 2 3 0 (blank 0) → classes 1 1 2 3 → "aabc".
    std::vector<float> x;
    push_step(x, {0.1f, 0.7f, 0.1f, 0.1f});
    push_step(x, {0.1f, 0.8f, 0.05f, 0.05f});
    push_step(x, {0.6f, 0.2f, 0.1f, 0.1f});
    push_step(x, {0.2f, 0.5f, 0.2f, 0.1f});
    push_step(x, {0.1f, 0.1f, 0.4f, 0.4f - 1e-3f});
    push_step(x, {0.1f, 0.1f, 0.6f, 0.2f});
    push_step(x, {0.1f, 0.1f, 0.1f, 0.7f});
    push_step(x, {0.9f, 0.05f, 0.03f, 0.02f});
    auto table = align_charset({"a", "b", "c"}, 4, 0);
    ASSERT_TRUE(table.is_ok()) << table.status().to_string();
    auto r = ctc_greedy_decode({"logits", Tensor::from_vector(DataType::kFloat32, {1, 8, 4}, x)}, *table);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->size(), 1u);
    const CtcResult& res = (*r)[0];
    EXPECT_EQ(res.text, "aabc");
    ASSERT_EQ(res.chars.size(), 4u);
    EXPECT_NEAR(res.chars[0].confidence, 0.8f, 1e-5);  // best over its two steps
    EXPECT_EQ(res.chars[0].first_step, 0);
    EXPECT_NEAR(res.chars[1].confidence, 0.5f, 1e-5);
    EXPECT_EQ(res.chars[1].first_step, 3);
    EXPECT_NEAR(res.chars[2].confidence, 0.6f, 1e-5);
    EXPECT_EQ(res.chars[2].first_step, 4);
    EXPECT_NEAR(res.chars[3].confidence, 0.7f, 1e-5);
    EXPECT_NEAR(res.confidence, (0.8f + 0.5f + 0.6f + 0.7f) / 4, 1e-5);
}

TEST(CtcGreedy, TimeMajorBatchAndRawLogits) {
    // [T=3, N=2, C=3], raw logits (no softmax applied): item 0 → 1 2 2 = "xy", item 1 → 0 0 0 = "".
    const std::vector<float> x = {0, 5, 1, 9, 0, 0,   // t=0: item 0, item 1
                                  0, 1, 5, 9, 0, 0,   // t=1
                                  0, 1, 5, 9, 0, 0};  // t=2
    auto r = ctc_greedy_decode({"out", Tensor::from_vector(DataType::kFloat32, {3, 2, 3}, x)}, {"", "x", "y"},
                               {.layout = CtcLayout::kTnc});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].text, "xy");
    const float p = std::exp(5.0f) / (std::exp(5.0f) + std::exp(1.0f) + 1.0f);
    EXPECT_NEAR((*r)[0].chars[0].confidence, p, 1e-6);
    EXPECT_EQ((*r)[1].text, "");
    EXPECT_TRUE((*r)[1].chars.empty());
    EXPECT_FLOAT_EQ((*r)[1].confidence, 1.0f);
    // The same tensor read with auto layout and the batch known.
    auto a =
        ctc_greedy_decode({"out", Tensor::from_vector(DataType::kFloat32, {3, 2, 3}, x)}, {"", "x", "y"}, {.batch = 2});
    ASSERT_TRUE(a.is_ok()) << a.status().to_string();
    EXPECT_EQ((*a)[0].text, "xy");
}

TEST(CtcGreedy, BlankAtTheEndAndNoCharset) {
    // C=3 with blank 2; best path 0 0 2 0 1 → "0 0 1" as classes.
    std::vector<float> x;
    for (int c : {0, 0, 2, 0, 1}) {
        std::vector<float> p(3, 0.1f);
        p[c] = 0.8f;
        push_step(x, p);
    }
    NamedTensor t{"out", Tensor::from_vector(DataType::kFloat32, {5, 3}, x)};
    auto table = align_charset({"A", "B"}, 3, 2);
    ASSERT_TRUE(table.is_ok());
    auto r = ctc_greedy_decode(t, *table, {.blank = 2});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ((*r)[0].text, "AAB");
    auto plain = ctc_greedy_decode(t, {}, {.blank = 2});
    ASSERT_TRUE(plain.is_ok());
    EXPECT_EQ((*plain)[0].text, "[0][0][1]");
}

TEST(CtcGreedy, ShapeAndLayoutErrors) {
    NamedTensor ambiguous{"seq", Tensor::from_vector(DataType::kFloat32, {3, 4, 5}, std::vector<float>(60))};
    auto r = ctc_greedy_decode(ambiguous, {});
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'seq' float32 [3x4x5]"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("--ctc-layout"), std::string::npos) << r.status().message();
    NamedTensor four{"seq", Tensor::from_vector(DataType::kFloat32, {1, 1, 4, 5}, std::vector<float>(20))};
    auto f = ctc_greedy_decode(four, {});
    ASSERT_FALSE(f.is_ok());
    EXPECT_NE(f.status().message().find("[T,N,C] or [N,T,C]"), std::string::npos) << f.status().message();
    NamedTensor ok{"seq", Tensor::from_vector(DataType::kFloat32, {1, 4, 5}, std::vector<float>(20))};
    auto t = ctc_greedy_decode(ok, {"", "a"});
    ASSERT_FALSE(t.is_ok());
    EXPECT_NE(t.status().message().find("5 classes but the character table has 2"), std::string::npos);
    auto b = ctc_greedy_decode(ok, {}, {.blank = 9});
    ASSERT_FALSE(b.is_ok());
    EXPECT_NE(b.status().message().find("blank index 9"), std::string::npos);
    EXPECT_FALSE(parse_ctc_layout("nct").is_ok());
    EXPECT_EQ(parse_ctc_layout("TNC").value(), CtcLayout::kTnc);
}

TEST(Charset, Utf8AndAlignment) {
    auto chars = split_utf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 ");
    ASSERT_TRUE(chars.is_ok());
    EXPECT_EQ(*chars, (std::vector<std::string>{"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " "}));
    EXPECT_FALSE(split_utf8("a\xc3").is_ok());
    auto with_blank = align_charset({"<blank>", "a", "b"}, 3, 0);
    ASSERT_TRUE(with_blank.is_ok());
    EXPECT_EQ(*with_blank, (std::vector<std::string>{"", "a", "b"}));
    auto bad = align_charset({"a", "b", "c", "d"}, 37, 0);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("4 entries but the model has 37 classes (expected 36 characters, or 37"),
              std::string::npos)
        << bad.status().message();
}

TEST(Charset, FromFiles) {
    const auto dir = std::filesystem::temp_directory_path() / ("edgeinfer_ctc_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "lines.txt") << "a\n \r\nb\n";
        std::ofstream(dir / "one.txt") << "0123\n";
    }
    auto lines = load_charset((dir / "lines.txt").string());
    ASSERT_TRUE(lines.is_ok()) << lines.status().to_string();
    EXPECT_EQ(*lines, (std::vector<std::string>{"a", " ", "b"}));
    auto one = load_charset((dir / "one.txt").string());
    ASSERT_TRUE(one.is_ok());
    EXPECT_EQ(*one, (std::vector<std::string>{"0", "1", "2", "3"}));
    auto missing = load_charset((dir / "nope.txt").string());
    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("nope.txt"), std::string::npos);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgeinfer::vision
