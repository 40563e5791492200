// Random generators (kernels/cpu/random.cpp): Bernoulli at p = 0 and 1 is exact, bool outputs,
// empty tensors, the `seed` attribute repeats a session's draws, and nodes with constant (or no)
// inputs are not folded into constants: each run draws again.
#include <gtest/gtest.h>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

std::unique_ptr<Session> session_of(const ir::Model& m) {
    auto bytes = model::serialize_model(m);
    EXPECT_TRUE(bytes.is_ok());
    SessionOptions opts;
    opts.num_threads = 1;
    auto s = Session::create_from_bytes(bytes->data(), bytes->size(), opts);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    return s.is_ok() ? std::move(s).value() : nullptr;
}

TEST(BernoulliKernel, CertainProbabilitiesBoolOutputAndEmptyInput) {
    ModelBuilder b(15);
    b.input("p", {-1}).output("y", DataType::kBool);
    b.node("Bernoulli", {"p"}, {"y"}, "bern", {attr_i("dtype", 9)});
    ir::Model m = b.build();
    auto out = try_run(m, {{"p", floats({6}, {0, 1, 1, 0, 0, 1})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dtype(), DataType::kBool);
    EXPECT_EQ(values_of<uint8_t>((*out)[0].tensor), (std::vector<uint8_t>{0, 1, 1, 0, 0, 1}));
    auto empty = try_run(m, {{"p", floats({0}, {})}});
    ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
    EXPECT_EQ((*empty)[0].tensor.dims(), (std::vector<int64_t>{0}));
}

TEST(RandomKernels, ASeedRepeatsTheSequenceAndEveryRunDrawsAgain) {
    // RandomUniform has no inputs and RandomNormalLike a constant one: both would fold if the
    // runtime treated them as pure functions of their inputs.
    ModelBuilder b(13);
    b.output("u").output("n");
    b.init("like", floats({64}, std::vector<float>(64, 0.0f)));
    b.node("RandomUniform", {}, {"u"}, "uni",
           {attr_is("shape", {64}), attr_f("low", 2.0f), attr_f("high", 3.0f), attr_f("seed", 5.0f)});
    b.node("RandomNormalLike", {"like"}, {"n"}, "normal", {attr_f("seed", 5.0f)});
    ir::Model m = b.build();
    auto s1 = session_of(m), s2 = session_of(m);
    ASSERT_TRUE(s1 && s2);
    auto a = s1->run({}), again = s1->run({}), other = s2->run({});
    ASSERT_TRUE(a.is_ok() && again.is_ok() && other.is_ok()) << a.status().to_string();
    for (size_t k = 0; k < 2; ++k) {
        std::vector<float> first = values_of<float>((*a)[k].tensor);
        EXPECT_NE(first, values_of<float>((*again)[k].tensor)) << "output " << k << " was folded";
        EXPECT_EQ(first, values_of<float>((*other)[k].tensor)) << "output " << k << " ignores the seed";
    }
    for (float v : values_of<float>((*a)[0].tensor)) {
        EXPECT_GE(v, 2.0f);
        EXPECT_LT(v, 3.0f);
    }
}

TEST(RandomKernels, RandomUniformNeedsAShape) {
    ModelBuilder b(13);
    b.output("u");
    b.node("RandomUniform", {}, {"u"}, "uni");
    auto out = try_run(b.m, {});
    ASSERT_FALSE(out.is_ok());
    EXPECT_NE(out.status().message().find("RandomUniform 'uni'"), std::string::npos) << out.status().to_string();
    EXPECT_NE(out.status().message().find("shape"), std::string::npos) << out.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing
