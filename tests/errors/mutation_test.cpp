// Deterministic mutations of a valid model (bit flips, truncations, splices): the loader must
// return a Status for each, never crash or hang. Runs under ASan/UBSan in the sanitizer build.
// The libFuzzer target (tests/fuzz/model_loader_fuzz.cpp) explores the same surface further.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

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

// An initializer whose typed values do not fill its shape: an error naming the counts, checked before
// the tensor is allocated (a fuzzer input declared 100 G floats with one value) or filled (more int32
// values than the shape holds must not be copied past its end).
// GCC 12 reports a false -Wrestrict inside protobuf's inlined string setters (GCC bug 105329).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
std::string model_with_initializer(onnx::TensorProto_DataType type, std::vector<int64_t> dims, int values) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    onnx::GraphProto* g = m.mutable_graph();
    onnx::TensorProto* t = g->add_initializer();
    t->set_name("w");
    t->set_data_type(type);
    for (int64_t d : dims) t->add_dims(d);
    for (int i = 0; i < values; ++i) {
        if (type == onnx::TensorProto_DataType_FLOAT) t->add_float_data(1.0f);
        else t->add_int32_data(i);
    }
    onnx::NodeProto* n = g->add_node();
    n->set_op_type("Identity");
    n->add_input("w");
    n->add_output("y");
    onnx::ValueInfoProto* out = g->add_output();
    out->set_name("y");
    out->mutable_type()->mutable_tensor_type()->set_elem_type(type);
    return m.SerializeAsString();
}

// A Conv whose input rank (2) disagrees with its weight's (4), with or without kernel_shape/pads: libonnx
// 1.12's shape inference read past the input's dims and crashed (a fuzzer find). The load must finish:
// the model is usable as far as it is valid, and the Conv's output simply has no inferred shape.
std::string conv_rank_mismatch_model(bool with_attributes) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    onnx::GraphProto* g = m.mutable_graph();
    onnx::ValueInfoProto* in = g->add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    tt->mutable_shape()->add_dim()->set_dim_value(8);
    onnx::TensorProto* w = g->add_initializer();
    w->set_name("w");
    w->set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (int64_t d : {4, 3, 3, 3}) w->add_dims(d);
    for (int i = 0; i < 4 * 3 * 3 * 3; ++i) w->add_float_data(0.5f);
    onnx::NodeProto* n = g->add_node();
    n->set_op_type("Conv");
    n->set_name("conv");
    n->add_input("x");
    n->add_input("w");
    n->add_output("y");
    if (with_attributes) {
        onnx::AttributeProto* k = n->add_attribute();
        k->set_name("kernel_shape");
        k->set_type(onnx::AttributeProto::INTS);
        k->add_ints(3);
        k->add_ints(3);
        onnx::AttributeProto* p = n->add_attribute();
        p->set_name("pads");
        p->set_type(onnx::AttributeProto::INTS);
        for (int i = 0; i < 4; ++i) p->add_ints(1);
    }
    g->add_output()->set_name("y");
    g->mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    return m.SerializeAsString();
}
#pragma GCC diagnostic pop

TEST(Mutation, InitializerValueCountIsCheckedBeforeAllocation) {
    const std::string huge = model_with_initializer(onnx::TensorProto_DataType_FLOAT, {100000, 1000000}, 1);
    auto r = load_model_from_bytes(huge.data(), huge.size(), {}, "huge");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidModel) << r.status().to_string();
    EXPECT_NE(r.status().message().find("has 1 values, shape 100000x1000000 needs 100000000000"), std::string::npos)
        << r.status().message();
    const std::string many = model_with_initializer(onnx::TensorProto_DataType_INT32, {2}, 64);
    r = load_model_from_bytes(many.data(), many.size(), {}, "many");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("has 64 values, shape 2 needs 2"), std::string::npos) << r.status().message();
    const std::string right = model_with_initializer(onnx::TensorProto_DataType_INT32, {2, 3}, 6);
    r = load_model_from_bytes(right.data(), right.size(), {}, "right");
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
}

TEST(Mutation, ConvRankMismatchDoesNotCrashShapeInference) {
    for (bool attrs : {false, true}) {
        const std::string bytes = conv_rank_mismatch_model(attrs);
        LoadOptions options;
        options.infer_shapes = true;
        auto r = load_model_from_bytes(bytes.data(), bytes.size(), options, "conv_rank");
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        for (const ir::ValueInfo& v : r.value().graph.value_info) EXPECT_NE(v.name, "y") << "no shape for y";
    }
}

}  // namespace
}  // namespace edgeinfer::model
