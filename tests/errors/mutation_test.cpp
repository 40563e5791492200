// Deterministic mutations of a valid model (bit flips, truncations, splices): the loader must
// return a Status for each, never crash or hang. Runs under ASan/UBSan in the sanitizer build.
// The libFuzzer target (tests/fuzz/model_loader_fuzz.cpp) explores the same surface further.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "model/onnx_model.hpp"

namespace edgeinfer::model {
namespace {

std::string read_file(const std::string& name) {
    std::ifstream f(std::string(EDGEINFER_TEST_MODELS_DIR) + "/" + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

TEST(Mutation, LoaderSurvivesCorruptedModels) {
    for (const char* seed_name : {"small_cnn.onnx", "with_if.onnx"}) {
        const std::string seed = read_file(seed_name);
        ASSERT_FALSE(seed.empty());
        std::mt19937 rng(1234);
        int ok = 0, failed = 0;
        for (int iter = 0; iter < 3000; ++iter) {
            std::string m = seed;
            int kind = iter % 4;
            std::uniform_int_distribution<size_t> pos(0, m.size() - 1);
            if (kind == 0) {
                for (int k = 0; k < 1 + iter % 5; ++k) m[pos(rng)] ^= static_cast<char>(1 << (rng() % 8));
            } else if (kind == 1) {
                m.resize(pos(rng));
            } else if (kind == 2) {
                m[pos(rng)] = static_cast<char>(rng());
                m.insert(pos(rng), std::string(1 + rng() % 8, static_cast<char>(rng())));
            } else {
                size_t a = pos(rng);
                m = m.substr(0, a) + seed.substr(pos(rng));
            }
            auto r = load_model_from_bytes(m.data(), m.size(), {}, "mutant");
            if (r.is_ok()) {
                ++ok;
                EXPECT_TRUE(validate_model(r.value()).is_ok());
            } else {
                ++failed;
                EXPECT_NE(r.status().code(), StatusCode::kInternal) << r.status().to_string();
                EXPECT_FALSE(r.status().message().empty());
            }
        }
        EXPECT_GT(failed, 100) << seed_name;  // the mutations really do break things
    }
}

}  // namespace
}  // namespace edgeinfer::model
