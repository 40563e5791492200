// Classification head pieces (softmax detection, softmax, top-k), sidecar parsing with errors that
// name the key, and labels files.
#include "vision/classification.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "vision/sidecar.hpp"

namespace edgeinfer::vision {
namespace {

namespace fs = std::filesystem;

std::string write_file(const std::string& name, const std::string& text) {
    fs::path dir = fs::path(testing::TempDir()) / "classification_test";
    fs::create_directories(dir);
    std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

TEST(Classification, ProbabilityDetectionAndSoftmax) {
    EXPECT_TRUE(is_probability_distribution({0.7, 0.2, 0.1}));
    EXPECT_FALSE(is_probability_distribution({2.0, -1.0, 0.5}));  // logits
    EXPECT_FALSE(is_probability_distribution({0.5, 0.2, 0.1}));   // in range, but no distribution
    EXPECT_FALSE(is_probability_distribution({}));
    auto p = softmax({1000.0, 1000.0, 998.0});  // stable for large logits
    EXPECT_NEAR(p[0], p[1], 1e-12);
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-12);
    EXPECT_NEAR(p[2] / p[0], std::exp(-2.0), 1e-9);
}

TEST(Classification, TopKOrderTiesAndThreshold) {
    std::vector<double> s{0.1, 0.4, 0.05, 0.4, 0.05};
    auto t = top_k(s, 3);
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t[0].index, 1);  // tie: lower index first
    EXPECT_EQ(t[1].index, 3);
    EXPECT_EQ(t[2].index, 0);
    EXPECT_EQ(top_k(s, 10).size(), 5u);
    auto cut = top_k(s, 5, 0.2);
    ASSERT_EQ(cut.size(), 2u);
    EXPECT_EQ(top_k(s, 0).size(), 0u);
}

TEST(Sidecar, ReadsTheExportKeys) {
    std::string path = write_file("m.json", R"({"task": "classification", "input": "input",
        "input_shape": [1, 3, 32, 32], "layout": "NCHW", "color_order": "RGB", "scale": 0.00392156862745098,
        "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25], "resize": "crop", "crop_fraction": 0.875,
        "num_classes": 2, "labels": ["cat", "dog"], "outputs": [{"name": "logits"}], "frames": 8})");
    auto s = load_sidecar(path);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    EXPECT_EQ(s->task, "classification");
    EXPECT_EQ(s->input_shape, (std::vector<int64_t>{1, 3, 32, 32}));
    EXPECT_EQ(s->labels, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_EQ(s->num_classes, 2);
    EXPECT_EQ(s->frames, 8);
    EXPECT_EQ(s->resize, "crop");
    EXPECT_DOUBLE_EQ(*s->crop_fraction, 0.875);
    EXPECT_EQ(s->doc["outputs"][0]["name"], "logits");  // other keys stay readable

    auto nulls = load_sidecar(write_file("n.json", R"({"labels": null, "num_classes": null})"));
    ASSERT_TRUE(nulls.is_ok());
    EXPECT_TRUE(nulls->labels.empty());
    EXPECT_FALSE(nulls->num_classes.has_value());
}

TEST(Sidecar, RandomWeightsAreWarnedAbout) {
    auto random = load_sidecar(write_file("r.json", R"({"weights": "random"})"));
    ASSERT_TRUE(random.is_ok());
    const std::string w = random_weights_warning(&*random);
    EXPECT_NE(w.find("random weights"), std::string::npos) << w;
    EXPECT_NE(w.find("r.json"), std::string::npos) << w;
    auto old = load_sidecar(write_file("o.json", R"j({"weights": "seeded random (seed 0)"})j"));
    ASSERT_TRUE(old.is_ok());
    EXPECT_NE(random_weights_warning(&*old), "");
    auto trained = load_sidecar(write_file("t.json", R"({"weights": "/models/ft.pt"})"));
    ASSERT_TRUE(trained.is_ok());
    EXPECT_EQ(trained->weights, "/models/ft.pt");
    EXPECT_EQ(random_weights_warning(&*trained), "");
    EXPECT_EQ(random_weights_warning(nullptr), "");
}

TEST(Sidecar, ErrorsNameFileAndKey) {
    struct Case {
        const char* json;
        const char* expect;
    } cases[] = {
        {R"({"mean": "0.5"})", "key 'mean'"},
        {R"({"mean": [0.5, "x", 0.5]})", "key 'mean[1]'"},
        {R"({"std": [0.5, 0, 0.5]})", "key 'std'"},
        {R"({"labels": ["a", 3]})", "key 'labels[1]'"},
        {R"({"input_shape": [1, 3.5]})", "key 'input_shape'"},
        {R"({"num_classes": 0})", "key 'num_classes'"},
        {R"({"task": 7})", "key 'task'"},
        {R"([1, 2])", "expected a JSON object"},
        {R"({"mean": [0.5,)", "not valid JSON"},
    };
    int i = 0;
    for (const Case& c : cases) {
        std::string path = write_file("bad" + std::to_string(i++) + ".json", c.json);
        auto s = load_sidecar(path);
        ASSERT_FALSE(s.is_ok()) << c.json;
        EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status().message();
        EXPECT_NE(s.status().message().find(path), std::string::npos) << s.status().message();
    }
    EXPECT_EQ(load_sidecar("/nonexistent/m.json").status().code(), StatusCode::kNotFound);
}

TEST(Sidecar, FoundNextToTheModel) {
    std::string model = write_file("net.onnx", "not read here");
    fs::remove(fs::path(model).replace_extension(".json"));  // left by an earlier run
    auto none = find_sidecar(model, "");
    ASSERT_TRUE(none.is_ok());
    EXPECT_FALSE(none->has_value());
    write_file("net.json", R"({"task": "classification"})");
    auto found = find_sidecar(model, "");
    ASSERT_TRUE(found.is_ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->task, "classification");
    auto missing = find_sidecar(model, "/nonexistent/explicit.json");
    EXPECT_FALSE(missing.is_ok());
}

TEST(Labels, LinesWithCrLfAndTrailingNewlines) {
    auto l = load_labels(write_file("labels.txt", "cat\r\ndog \nbig bird\n\n"));
    ASSERT_TRUE(l.is_ok());
    EXPECT_EQ(*l, (std::vector<std::string>{"cat", "dog", "big bird"}));
    auto empty = load_labels(write_file("empty.txt", ""));
    ASSERT_FALSE(empty.is_ok());
    EXPECT_NE(empty.status().message().find("empty.txt"), std::string::npos);
    EXPECT_EQ(load_labels("/nonexistent/labels.txt").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgeinfer::vision
