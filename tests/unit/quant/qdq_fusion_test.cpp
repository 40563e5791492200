// QDQ fusion (passes/qdq_fusion) and the int8 kernels (kernels/cpu/quantized_conv.cpp, quantized_matmul.cpp):
// structural and negative pass tests, and the fused int8 path (precision int8) against the reference path (the
// same QDQ model with QuantizeLinear/DequantizeLinear kernels and float Conv/Gemm/MatMul).
#include "passes/qdq_fusion.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../passes/pass_test_util.hpp"

namespace edgeinfer::testing {
namespace {

Tensor scalar_f(float v) { return Tensor::from_vector(DataType::kFloat32, {}, std::vector<float>{v}); }
Tensor scalar_q(DataType t, int v) {
    Tensor out = Tensor::allocate(t, {});
    if (t == DataType::kUInt8)
        out.data_as<uint8_t>()[0] = static_cast<uint8_t>(v);
    else
        out.data_as<int8_t>()[0] = static_cast<int8_t>(v);
    return out;
}

// Symmetric int8 weights with per-tensor or per-axis scales.
void add_int8_weight(ModelBuilder& b, const std::string& name, const std::vector<int64_t>& dims, bool per_channel,
                     int64_t axis, uint32_t seed) {
    Tensor w = random_tensor(dims, seed, 0.3f);
    int64_t channels = per_channel ? dims[axis] : 1, inner = 1;
    for (size_t k = static_cast<size_t>(axis) + 1; k < dims.size(); ++k) inner *= dims[k];
    Tensor s =
        Tensor::allocate(DataType::kFloat32, per_channel ? std::vector<int64_t>{channels} : std::vector<int64_t>{});
    for (int64_t c = 0; c < channels; ++c) s.data_as<float>()[c] = 0.004f + 0.001f * static_cast<float>(c % 5);
    Tensor q = Tensor::allocate(DataType::kInt8, dims);
    for (int64_t i = 0; i < w.numel(); ++i) {
        float sc = s.data_as<float>()[per_channel ? (i / inner) % channels : 0];
        q.data_as<int8_t>()[i] =
            static_cast<int8_t>(std::clamp(std::nearbyint(w.data_as<float>()[i] / sc), -127.0f, 127.0f));
    }
    b.init(name + "_q", q).init(name + "_s", s);
    std::vector<ir::Attribute> attrs;
    if (per_channel) attrs.push_back(attr_i("axis", axis));
    b.node("DequantizeLinear", {name + "_q", name + "_s"}, {name}, name + "_dq", attrs);
}

// x (float) -> Q -> DQ: the activation as a QDQ model feeds it.
void add_qdq_input(ModelBuilder& b, const std::string& x, const std::string& out, DataType t, float scale, int zp) {
    b.init(x + "_s", scalar_f(scale)).init(x + "_z", scalar_q(t, zp));
    b.node("QuantizeLinear", {x, x + "_s", x + "_z"}, {x + "_q"}, x + "_quant");
    b.node("DequantizeLinear", {x + "_q", x + "_s", x + "_z"}, {out}, x + "_dequant");
}

void add_qdq_output(ModelBuilder& b, const std::string& y, const std::string& out, float scale, int zp) {
    b.init(y + "_s", scalar_f(scale)).init(y + "_z", scalar_q(DataType::kUInt8, zp));
    b.node("QuantizeLinear", {y, y + "_s", y + "_z"}, {y + "_q"}, y + "_quant");
    b.node("DequantizeLinear", {y + "_q", y + "_s", y + "_z"}, {out}, y + "_dequant");
}

struct ConvCase {
    bool per_channel = false, relu = false, quantized_out = true, depthwise = false;
    std::string gate;  // "Sigmoid" (SiLU) or "HardSigmoid" (HardSwish): Mul(c, gate(c)) after the conv
    DataType act = DataType::kUInt8;
    int64_t stride = 1;
};

ir::Model qdq_conv(const ConvCase& c) {
    ModelBuilder b;
    const int64_t cin = 8, cout = c.depthwise ? 8 : 12;
    b.input("x", {1, cin, 9, 9}).output("y");
    add_qdq_input(b, "x", "xd", c.act, 0.03f, c.act == DataType::kUInt8 ? 120 : 3);
    add_int8_weight(b, "w", {cout, c.depthwise ? 1 : cin, 3, 3}, c.per_channel, 0, 11);
    b.init("bias", random_tensor({cout}, 12, 0.2f));
    std::vector<ir::Attribute> attrs{attr_is("pads", {1, 1, 1, 1}), attr_is("strides", {c.stride, c.stride})};
    if (c.depthwise) attrs.push_back(attr_i("group", cin));
    std::string conv_out = c.relu || c.quantized_out || !c.gate.empty() ? "c" : "y";
    b.node("Conv", {"xd", "w", "bias"}, {conv_out}, "conv", attrs);
    std::string act_out = conv_out;
    if (c.relu) {
        act_out = c.quantized_out ? "r" : "y";
        b.node("Relu", {"c"}, {act_out}, "relu");
    }
    if (!c.gate.empty()) {
        act_out = c.quantized_out ? "m" : "y";
        std::vector<ir::Attribute> gate_attrs;
        if (c.gate == "HardSigmoid") gate_attrs = {attr_f("alpha", 1.0f / 6.0f), attr_f("beta", 0.5f)};
        b.node(c.gate, {"c"}, {"g"}, "gate", gate_attrs);
        b.node("Mul", {"c", "g"}, {act_out}, "mul");
    }
    if (c.quantized_out) add_qdq_output(b, act_out, "y", 0.02f, c.relu ? 0 : 128);
    return b.build();
}

// Runs `m` through a Session at level kAll with the given precision; profile rows returned too.
std::vector<NamedTensor> run_session(const ir::Model& m, Precision p, const std::vector<NamedTensor>& inputs,
                                     std::vector<NodeProfile>* profile = nullptr) {
    auto bytes = model::serialize_model(m);
    EXPECT_TRUE(bytes.is_ok());
    SessionOptions opts;
    opts.precision = p;
    opts.num_threads = 2;
    opts.enable_profiling = profile != nullptr;
    auto s = Session::create_from_bytes(bytes->data(), bytes->size(), opts);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    if (!s.is_ok()) return {};
    auto out = s.value()->run(inputs);
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    if (profile) *profile = s.value()->profile();
    return out.is_ok() ? std::move(out).value() : std::vector<NamedTensor>{};
}

// The int8 session of a one-output QDQ model against its reference path (the same model at fp32:
// QuantizeLinear/DequantizeLinear kernels around float ops) on seeded inputs.
struct Int8VsReference {
    bool ran = false;
    double worst = 0, rel_l2 = 0;
    int64_t differing = 0, numel = 0;  // outputs differing by more than 1e-6
    std::vector<int64_t> dims;
    std::vector<NodeProfile> profile;  // the int8 session's
};

Int8VsReference int8_vs_reference(const ir::Model& m) {
    Int8VsReference r;
    auto inputs = seeded_inputs(m, 1, 5);
    auto ref = run_session(m, Precision::kFp32, inputs);
    auto got = run_session(m, Precision::kInt8, inputs, &r.profile);
    EXPECT_EQ(ref.size(), 1u);
    EXPECT_EQ(got.size(), 1u);
    if (ref.size() != 1 || got.size() != 1 || ref[0].tensor.dims() != got[0].tensor.dims()) return r;
    r.ran = true;
    r.dims = got[0].tensor.dims();
    r.numel = ref[0].tensor.numel();
    double err2 = 0, ref2 = 0;
    for (int64_t i = 0; i < r.numel; ++i) {
        double a = ref[0].tensor.data_as<float>()[i], d = std::fabs(a - got[0].tensor.data_as<float>()[i]);
        r.worst = std::max(r.worst, d);
        r.differing += d > 1e-6;
        err2 += d * d;
        ref2 += a * a;
    }
    r.rel_l2 = std::sqrt(err2 / (ref2 + 1e-30));
    return r;
}

// Fused int8 vs reference: within `tol` everywhere (one output quantization step for quantized
// outputs), and the int8 node really ran on oneDNN's int8 path.
void expect_int8_matches_reference(const ir::Model& m, double tol, const std::string& fused_op) {
    Int8VsReference r = int8_vs_reference(m);
    ASSERT_TRUE(r.ran);
    EXPECT_LE(r.worst, tol);
    EXPECT_LE(r.differing, r.numel / 20) << "more than 5% of outputs differ";
    bool fused = false;
    for (const NodeProfile& p : r.profile)
        if (p.op_type == fused_op) {
            fused = true;
            EXPECT_NE(p.kernel.find("onednn:int8:"), std::string::npos) << p.kernel;
        }
    EXPECT_TRUE(fused) << "no " << fused_op << " node ran";
}

TEST(FuseQdq, ConvReluQuantizeBecomesOneQConv) {
    ConvCase c;
    c.relu = true;
    ir::Model m = qdq_conv(c);
    ASSERT_TRUE(passes::fuse_qdq(m));
    EXPECT_EQ(count_op(m, "QConv"), 1);
    EXPECT_EQ(count_op(m, "Conv"), 0);
    EXPECT_EQ(count_op(m, "Relu"), 0);
    EXPECT_EQ(count_op(m, "QuantizeLinear"), 0);
    EXPECT_EQ(count_op(m, "Quantize"), 1);          // the input's, as edgeinfer:Quantize
    EXPECT_EQ(count_op(m, "DequantizeLinear"), 1);  // the output's
    const ir::Node* q = find_node(m, "conv");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->domain, "edgeinfer");
    EXPECT_EQ(q->attr_string("activation", ""), "Relu");
    EXPECT_EQ(q->inputs[0], "x_q");
    EXPECT_EQ(q->inputs[3], "w_q");
    EXPECT_EQ(q->outputs[0], "r_q");
    EXPECT_EQ(q->attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
}

// EfficientNet's SiLU and MobileNetV3's HardSwish (as exported before opset 14): Mul(y, gate(y))
// after the conv becomes the QConv's activation, computed in real units before the requantization.
TEST(FuseQdq, GatedActivationsFuseIntoQConv) {
    for (const char* gate : {"Sigmoid", "HardSigmoid"}) {
        ConvCase c;
        c.gate = gate;
        ir::Model m = qdq_conv(c);
        ASSERT_TRUE(passes::fuse_qdq(m));
        EXPECT_EQ(count_op(m, "QConv"), 1) << gate;
        EXPECT_EQ(count_op(m, gate), 0) << gate;
        EXPECT_EQ(count_op(m, "Mul"), 0) << gate;
        EXPECT_EQ(count_op(m, "QuantizeLinear"), 0) << gate;
        const ir::Node* q = find_node(m, "conv");
        ASSERT_NE(q, nullptr);
        EXPECT_EQ(q->attr_string("activation", ""), std::string(gate) == "Sigmoid" ? "SiLU" : "HardSwish");
        EXPECT_EQ(q->outputs[0], "m_q");
        // Quantized output: one output step; float output: the reference's float rounding.
        expect_int8_matches_reference(qdq_conv(c), 0.02 * 1.01, "QConv");
        c.quantized_out = false;
        c.per_channel = true;
        expect_int8_matches_reference(qdq_conv(c), 1e-3, "QConv");
    }
    // A HardSigmoid with other constants is not HardSwish: left alone.
    ModelBuilder b;
    b.input("x", {1, 4, 5, 5}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.05f, 128);
    add_int8_weight(b, "w", {6, 4, 3, 3}, false, 0, 3);
    b.node("Conv", {"xd", "w"}, {"c"}, "conv");
    b.node("HardSigmoid", {"c"}, {"g"}, "gate", {attr_f("alpha", 0.2f), attr_f("beta", 0.5f)});
    b.node("Mul", {"c", "g"}, {"y"}, "mul");
    ir::Model m = b.build();
    passes::fuse_qdq(m);
    EXPECT_EQ(count_op(m, "HardSigmoid"), 1);
    EXPECT_EQ(count_op(m, "Mul"), 1);
}

TEST(FuseQdq, NearMissesAreLeftAlone) {
    // Weight DequantizeLinear reading a runtime input: nothing constant to pack.
    ModelBuilder b;
    b.input("x", {1, 4, 5, 5}).input("wq", {6, 4, 3, 3}, DataType::kInt8).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.05f, 128);
    b.init("ws", scalar_f(0.01f));
    b.node("DequantizeLinear", {"wq", "ws"}, {"w"}, "wdq");
    b.node("Conv", {"xd", "w"}, {"y"}, "conv");
    ir::Model m = b.build();
    passes::fuse_qdq(m);  // only the input's QuantizeLinear may change (into edgeinfer:Quantize)
    EXPECT_EQ(count_op(m, "QConv"), 0);
    EXPECT_EQ(count_op(m, "Conv"), 1);
    // Per-channel weight scales along the wrong axis (input channels).
    ModelBuilder b2;
    b2.input("x", {1, 4, 5, 5}).output("y");
    add_qdq_input(b2, "x", "xd", DataType::kUInt8, 0.05f, 128);
    add_int8_weight(b2, "w", {4, 4, 3, 3}, true, 1, 3);
    b2.node("Conv", {"xd", "w"}, {"y"}, "conv");
    ir::Model m2 = b2.build();
    passes::fuse_qdq(m2);  // only the input's QuantizeLinear may change (into edgeinfer:Quantize)
    EXPECT_EQ(count_op(m2, "QConv"), 0);
    EXPECT_EQ(count_op(m2, "Conv"), 1);
    // A float Conv without QuantizeLinear/DequantizeLinear.
    ModelBuilder b3;
    b3.input("x", {1, 4, 5, 5}).output("y").init("w", random_tensor({6, 4, 3, 3}, 1));
    b3.node("Conv", {"x", "w"}, {"y"}, "conv");
    ir::Model m3 = b3.build();
    EXPECT_FALSE(passes::fuse_qdq(m3));
}

TEST(FuseQdq, Int8ConvMatchesReferencePath) {
    ConvCase relu_per_tensor;
    relu_per_tensor.relu = true;
    expect_int8_matches_reference(qdq_conv(relu_per_tensor), 0.02 * 1.01, "QConv");
    ConvCase per_channel_depthwise;
    per_channel_depthwise.per_channel = true;
    per_channel_depthwise.depthwise = true;
    per_channel_depthwise.stride = 2;
    per_channel_depthwise.act = DataType::kInt8;
    expect_int8_matches_reference(qdq_conv(per_channel_depthwise), 0.02 * 1.01, "QConv");
    ConvCase float_out;
    float_out.per_channel = true;
    float_out.relu = true;
    float_out.quantized_out = false;
    expect_int8_matches_reference(qdq_conv(float_out), 1e-3, "QConv");
}

TEST(FuseQdq, Int8GemmAndMatMulMatchReferencePath) {
    for (int trans_b : {0, 1}) {
        ModelBuilder b;
        b.input("x", {3, 16}).output("y");
        add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 128);
        add_int8_weight(b, "w", trans_b ? std::vector<int64_t>{10, 16} : std::vector<int64_t>{16, 10}, true,
                        trans_b ? 0 : 1, 21);
        b.init("c", random_tensor({10}, 22, 0.2f));
        b.node("Gemm", {"xd", "w", "c"}, {"g"}, "fc", {attr_i("transB", trans_b)});
        add_qdq_output(b, "g", "y", 0.02f, 128);
        expect_int8_matches_reference(b.build(), 0.02 * 1.01, "QMatMul");
    }
    ModelBuilder b;
    b.input("x", {2, 3, 16}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 100);
    add_int8_weight(b, "w", {16, 7}, false, 1, 31);
    b.node("MatMul", {"xd", "w"}, {"y"}, "mm");  // float output
    expect_int8_matches_reference(b.build(), 1e-3, "QMatMul");
}

// Two int8 convolutions in a row: the value between them stays channels-last (no reorders), the
// input's Quantize writes channels-last, and the result still matches the reference path.
TEST(FuseQdq, ValueBetweenQConvsStaysChannelsLast) {
    ModelBuilder b;
    b.input("x", {1, 8, 9, 9}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 120);
    add_int8_weight(b, "w1", {16, 8, 3, 3}, true, 0, 51);
    b.node("Conv", {"xd", "w1"}, {"c1"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c1"}, {"r1"}, "relu1");
    add_qdq_input(b, "r1", "r1d", DataType::kUInt8, 0.05f, 0);
    add_int8_weight(b, "w2", {6, 16, 1, 1}, false, 0, 52);
    b.node("Conv", {"r1d", "w2"}, {"c2"}, "conv2", {attr_is("strides", {2, 2})});
    add_qdq_output(b, "c2", "y", 0.02f, 128);
    ir::Model m = b.build();
    ir::Model fused = m;
    ASSERT_TRUE(passes::fuse_qdq(fused));
    ASSERT_EQ(count_op(fused, "QConv"), 2);
    EXPECT_EQ(find_node(fused, "conv1")->attr_string("y_layout", ""), "NHWC");
    // The input's Quantize reorder also moves x to channels-last.
    EXPECT_EQ(find_node(fused, "conv1")->attr_string("x_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "x_quant")->attr_string("x_layout", "NCHW"), "NCHW");
    EXPECT_EQ(find_node(fused, "x_quant")->attr_string("y_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv2")->attr_string("x_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv2")->attr_string("y_layout", "NCHW"), "NCHW");
    expect_int8_matches_reference(m, 0.02 * 1.01, "QConv");
}

// QDQ Conv -> Add(x) -> Relu: the residual Add and the Relu fuse into the QConv (Z input, sum
// post-op), and the result matches the unfused QDQ graph run in float (reference kernels).
ir::Model qdq_conv_add(bool constant_z) {
    ModelBuilder b;
    b.input("x", {1, 8, 9, 9}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 120);
    add_int8_weight(b, "w", {8, 8, 3, 3}, true, 0, 61);
    b.init("bias", random_tensor({8}, 62, 0.2f));
    b.node("Conv", {"xd", "w", "bias"}, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    if (constant_z) b.init("z", random_tensor({1, 8, 9, 9}, 63));
    b.node("Add", {"c", constant_z ? "z" : "x"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"y"}, "relu");
    return b.build();
}

TEST(FuseQdq, ResidualAddAndReluFuseIntoQConv) {
    ir::Model m = qdq_conv_add(false);
    ir::Model fused = m;
    ASSERT_TRUE(passes::fuse_qdq(fused));
    EXPECT_EQ(count_op(fused, "QConv"), 1);
    EXPECT_EQ(count_op(fused, "Add"), 0);
    EXPECT_EQ(count_op(fused, "Relu"), 0);
    const ir::Node* q = find_node(fused, "conv");
    ASSERT_NE(q, nullptr);
    ASSERT_EQ(q->inputs.size(), 10u);
    EXPECT_EQ(q->inputs[9], "x");
    EXPECT_EQ(q->outputs[0], "y");
    EXPECT_EQ(q->attr_string("activation", ""), "Relu");
    expect_int8_matches_reference(m, 1e-3, "QConv");
    // Near misses: a constant Z (a bias-like operand) and a broadcasting Z stay separate Adds.
    ir::Model constant = qdq_conv_add(true);
    passes::fuse_qdq(constant);
    EXPECT_EQ(count_op(constant, "Add"), 1);
    ModelBuilder b;
    b.input("x", {1, 8, 9, 9}).input("z", {1, 8, 1, 1}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 120);
    add_int8_weight(b, "w", {8, 8, 3, 3}, true, 0, 64);
    b.node("Conv", {"xd", "w"}, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", {"c", "z"}, {"y"}, "add");
    ir::Model broadcast = b.build();
    passes::fuse_qdq(broadcast);
    EXPECT_EQ(count_op(broadcast, "Add"), 1);
    EXPECT_EQ(count_op(broadcast, "QConv"), 1);
}

// uint8 weights that do not fit int8 take the fallback path (float primitive, requantizing loop): it
// adds Z too.
TEST(FuseQdq, ResidualAddOnFallbackPathMatchesReference) {
    ModelBuilder b;
    b.input("x", {1, 4, 6, 6}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 120);
    Tensor wq = Tensor::allocate(DataType::kUInt8, {5, 4, 3, 3});
    for (int64_t i = 0; i < wq.numel(); ++i) wq.data_as<uint8_t>()[i] = static_cast<uint8_t>((i * 37) % 256);
    b.init("w_q", wq).init("w_s", scalar_f(0.002f)).init("w_z", scalar_q(DataType::kUInt8, 0));
    b.node("DequantizeLinear", {"w_q", "w_s", "w_z"}, {"w"}, "w_dq");
    b.input("z", {1, 5, 6, 6});
    b.node("Conv", {"xd", "w"}, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", {"z", "c"}, {"y"}, "add");
    ir::Model m = b.build();
    auto inputs = seeded_inputs(m, 1, 3);
    std::vector<NodeProfile> prof;
    auto ref = run_session(m, Precision::kFp32, inputs);
    auto got = run_session(m, Precision::kInt8, inputs, &prof);
    ASSERT_EQ(ref.size(), 1u);
    ASSERT_EQ(got.size(), 1u);
    double worst = 0;
    for (int64_t i = 0; i < ref[0].tensor.numel(); ++i)
        worst =
            std::max<double>(worst, std::fabs(ref[0].tensor.data_as<float>()[i] - got[0].tensor.data_as<float>()[i]));
    EXPECT_LE(worst, 1e-3);
    bool fallback = false;
    for (const NodeProfile& p : prof) {
        EXPECT_NE(p.op_type, "Add");
        fallback = fallback || (p.op_type == "QConv" && p.kernel.rfind("onednn:int8-ref:", 0) == 0);
    }
    EXPECT_TRUE(fallback);
}

// A ResNet-like int8 region: QConv -> MaxPool -> {Quantize -> QConv -> QConv + residual Add + Relu}
// -> GlobalAveragePool. Every value inside stays channels-last (MaxPool and GlobalAveragePool too),
// nothing is transposed, and the output matches the unfused QDQ graph within one quantization step.
TEST(FuseQdq, ResidualRegionStaysChannelsLast) {
    ModelBuilder b;
    b.input("x", {1, 3, 16, 16}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 120);
    add_int8_weight(b, "w0", {8, 3, 3, 3}, true, 0, 71);
    b.node("Conv", {"xd", "w0"}, {"c0"}, "conv0", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c0"}, {"r0"}, "relu0");
    b.node("MaxPool", {"r0"}, {"p"}, "pool",
           {attr_is("kernel_shape", {3, 3}), attr_is("strides", {2, 2}), attr_is("pads", {1, 1, 1, 1})});
    add_qdq_input(b, "p", "pd", DataType::kUInt8, 0.02f, 0);
    add_int8_weight(b, "w1", {8, 8, 3, 3}, true, 0, 72);
    b.node("Conv", {"pd", "w1"}, {"c1"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c1"}, {"r1"}, "relu1");
    add_qdq_input(b, "r1", "r1d", DataType::kUInt8, 0.02f, 0);
    add_int8_weight(b, "w2", {8, 8, 3, 3}, true, 0, 73);
    b.node("Conv", {"r1d", "w2"}, {"c2"}, "conv2", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", {"c2", "p"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"r2"}, "relu2");
    b.node("GlobalAveragePool", {"r2"}, {"y"}, "gap");
    ir::Model m = b.build();
    ir::Model fused = m;
    ASSERT_TRUE(passes::fuse_qdq(fused));
    EXPECT_EQ(count_op(fused, "QConv"), 3);
    EXPECT_EQ(count_op(fused, "Add"), 0);
    EXPECT_EQ(count_op(fused, "Relu"), 0);
    EXPECT_EQ(find_node(fused, "x_quant")->attr_string("x_layout", "NCHW"), "NCHW");  // the graph input
    EXPECT_EQ(find_node(fused, "x_quant")->attr_string("y_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv0")->attr_string("x_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv0")->attr_string("y_layout", ""), "NHWC");
    const ir::Node* pool = find_node(fused, "pool");
    EXPECT_EQ(pool->domain, "edgeinfer");
    EXPECT_EQ(pool->attr_string("x_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv1")->attr_string("x_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv1")->attr_string("y_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv2")->attr_string("y_layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv2")->attr_string("z_layout", ""), "NHWC");  // p
    EXPECT_EQ(find_node(fused, "conv2")->inputs[9], "p");
    EXPECT_EQ(find_node(fused, "gap")->attr_string("x_layout", ""), "NHWC");

    Int8VsReference r = int8_vs_reference(m);
    ASSERT_TRUE(r.ran);
    ASSERT_EQ(r.dims, (std::vector<int64_t>{1, 8, 1, 1}));
    EXPECT_LE(r.worst, 0.02);  // at most one step of the activations' quantization (the output is their mean)
    for (const NodeProfile& p : r.profile) {
        EXPECT_NE(p.op_type, "Transpose");
        if (p.op_type == "QConv") {
            EXPECT_NE(p.kernel.find("onednn:int8:"), std::string::npos) << p.kernel;
        } else if (p.op_type == "MaxPool") {  // float32 over channels-last memory: pool.cpp's one-pass loop
            EXPECT_EQ(p.kernel, "cpu:max_pool_nhwc");
        } else if (p.op_type == "GlobalAveragePool") {
            EXPECT_EQ(p.kernel, "cpu:global_avg_pool_nhwc");
        }
    }
}

// Two residual blocks as `edgeinfer quantize` writes them: each skip connection reads the block
// input through its DequantizeLinear. The convolution ending a block takes the quantized block input
// as Z (z_scale, z_zero_point) and, when a QuantizeLinear follows, writes its output quantized too:
// the values between blocks stay int8 (no Quantize node runs for them).
ir::Model qdq_residual_blocks() {
    ModelBuilder b;
    b.input("x", {1, 8, 9, 9}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 120);
    add_int8_weight(b, "w0", {8, 8, 3, 3}, true, 0, 91);
    b.node("Conv", {"xd", "w0"}, {"c0"}, "conv0", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c0"}, {"r0"}, "relu0");
    add_qdq_input(b, "r0", "r0d", DataType::kUInt8, 0.04f, 0);
    add_int8_weight(b, "w1", {8, 8, 3, 3}, true, 0, 92);
    b.node("Conv", {"r0d", "w1"}, {"c1"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c1"}, {"r1"}, "relu1");
    add_qdq_input(b, "r1", "r1d", DataType::kUInt8, 0.04f, 0);
    add_int8_weight(b, "w2", {8, 8, 3, 3}, true, 0, 93);
    b.node("Conv", {"r1d", "w2"}, {"c2"}, "conv2", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", {"c2", "r0d"}, {"s2"}, "add2");
    b.node("Relu", {"s2"}, {"r2"}, "relu2");
    add_qdq_input(b, "r2", "r2d", DataType::kUInt8, 0.05f, 0);
    add_int8_weight(b, "w3", {8, 8, 3, 3}, true, 0, 94);
    b.node("Conv", {"r2d", "w3"}, {"c3"}, "conv3", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", {"c3", "r2d"}, {"y"}, "add3");
    return b.build();
}

TEST(FuseQdq, ResidualBlocksStayInt8) {
    ir::Model m = qdq_residual_blocks();
    ir::Model fused = m;
    ASSERT_TRUE(passes::fuse_qdq(fused));
    EXPECT_EQ(count_op(fused, "QConv"), 4);
    EXPECT_EQ(count_op(fused, "Add"), 0);
    EXPECT_EQ(count_op(fused, "DequantizeLinear"), 0);
    EXPECT_EQ(count_op(fused, "Quantize"), 1);  // the graph input's only
    const ir::Node* conv2 = find_node(fused, "conv2");
    ASSERT_NE(conv2, nullptr);
    ASSERT_EQ(conv2->inputs.size(), 12u);
    EXPECT_EQ(conv2->inputs[6], "r2_s");  // writes r2 quantized
    EXPECT_EQ(conv2->outputs[0], "r2_q");
    EXPECT_EQ(conv2->inputs[9], "r0_q");  // adds the quantized block input
    EXPECT_EQ(conv2->inputs[10], "r0_s");
    EXPECT_EQ(conv2->attr_string("y_layout", ""), "NHWC");
    EXPECT_EQ(conv2->attr_string("z_layout", ""), "NHWC");
    const ir::Node* conv3 = find_node(fused, "conv3");
    ASSERT_NE(conv3, nullptr);
    ASSERT_EQ(conv3->inputs.size(), 12u);
    EXPECT_TRUE(conv3->inputs[6].empty());  // float output y, quantized Z
    EXPECT_EQ(conv3->inputs[9], "r2_q");
    EXPECT_EQ(conv3->outputs[0], "y");
    EXPECT_EQ(conv3->attr_string("y_layout", "NCHW"), "NCHW");  // the graph output
    EXPECT_EQ(conv3->attr_string("z_layout", ""), "NHWC");      // r2 stays channels-last

    Int8VsReference r = int8_vs_reference(m);
    ASSERT_TRUE(r.ran);
    // r2 is requantized in both paths; where float rounding flips one of its steps (0.05) the error
    // reaches y through conv3 and the skip connection.
    EXPECT_LE(r.worst, 0.05 * 2);
    EXPECT_LE(r.rel_l2, 0.01) << "worst " << r.worst;
    for (const NodeProfile& p : r.profile)
        if (p.op_type == "QConv") {
            EXPECT_EQ(p.kernel.rfind("onednn:int8:", 0), 0u) << p.node_name << ": " << p.kernel;
        }
}

// A squeeze-excitation block between int8 convolutions (EfficientNet, MobileNetV3): conv + SiLU writes
// float read by GlobalAveragePool and by the scale Mul; the gate is a quantized 1x1 conv + Sigmoid;
// the scaled value is quantized for the next conv. The whole block stays channels-last: the Mul runs
// as edgeinfer:Mul (oneDNN binary, layout NHWC) and no Transpose runs anywhere.
ir::Model qdq_squeeze_excitation() {
    ModelBuilder b;
    b.input("x", {1, 8, 10, 10}).output("y");
    add_qdq_input(b, "x", "xd", DataType::kUInt8, 0.03f, 120);
    add_int8_weight(b, "w1", {16, 8, 3, 3}, true, 0, 81);
    b.node("Conv", {"xd", "w1"}, {"c1"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Sigmoid", {"c1"}, {"g1"}, "silu_gate");
    b.node("Mul", {"c1", "g1"}, {"s1"}, "silu");
    b.node("GlobalAveragePool", {"s1"}, {"avg"}, "squeeze");
    add_qdq_input(b, "avg", "avgd", DataType::kUInt8, 0.01f, 30);
    add_int8_weight(b, "wf", {16, 16, 1, 1}, true, 0, 82);
    b.init("bf", random_tensor({16}, 83, 0.2f));
    b.node("Conv", {"avgd", "wf", "bf"}, {"e"}, "excite");
    b.node("Sigmoid", {"e"}, {"gate"}, "gate");
    b.node("Mul", {"gate", "s1"}, {"m"}, "scale");
    add_qdq_input(b, "m", "md", DataType::kUInt8, 0.02f, 20);
    add_int8_weight(b, "w2", {8, 16, 1, 1}, true, 0, 84);
    b.node("Conv", {"md", "w2"}, {"c2"}, "conv2");
    add_qdq_output(b, "c2", "y", 0.02f, 128);
    return b.build();
}

TEST(FuseQdq, SqueezeExcitationStaysChannelsLast) {
    ir::Model m = qdq_squeeze_excitation();
    ir::Model fused = m;
    ASSERT_TRUE(passes::fuse_qdq(fused));
    EXPECT_EQ(count_op(fused, "QConv"), 3);
    EXPECT_EQ(find_node(fused, "conv1")->attr_string("y_layout", ""), "NHWC");  // float, read by squeeze and scale
    EXPECT_EQ(find_node(fused, "squeeze")->attr_string("x_layout", ""), "NHWC");
    const ir::Node* scale = find_node(fused, "scale");
    ASSERT_NE(scale, nullptr);
    EXPECT_EQ(scale->domain, "edgeinfer");
    EXPECT_EQ(scale->attr_string("layout", ""), "NHWC");
    EXPECT_EQ(find_node(fused, "conv2")->attr_string("x_layout", ""), "NHWC");

    Int8VsReference r = int8_vs_reference(m);
    ASSERT_TRUE(r.ran);
    EXPECT_LE(r.worst, 0.02 * 2.01);  // a step of the scaled value's quantization may carry into one of y's
    EXPECT_LE(r.differing, r.numel / 10) << "worst " << r.worst;
    bool mul_ran = false;
    for (const NodeProfile& p : r.profile) {
        EXPECT_NE(p.op_type, "Transpose") << p.node_name;
        if (p.node_name == "scale") {
            mul_ran = true;
            EXPECT_EQ(p.kernel.rfind("onednn:", 0), 0u) << p.kernel;
        }
    }
    EXPECT_TRUE(mul_ran);
}

// A layout attribute the kernels do not know is a clear error naming it (pooling and Quantize).
TEST(FuseQdq, BadLayoutAttributeIsAClearError) {
    for (const char* op : {"MaxPool", "Quantize"}) {
        ModelBuilder b;
        b.input("x", {1, 4, 6, 6}).output("y");
        std::vector<ir::Attribute> attrs{attr_s("x_layout", "NWHC")};
        std::vector<std::string> ins{"x"};
        if (std::string(op) == "MaxPool") {
            attrs.push_back(attr_is("kernel_shape", {2, 2}));
        } else {
            b.init("s", scalar_f(0.1f)).init("z", scalar_q(DataType::kUInt8, 0));
            ins = {"x", "s", "z"};
        }
        b.node(op, ins, {"y"}, "node", attrs);
        b.m.graph.nodes.back().domain = "edgeinfer";
        b.m.opset_imports.push_back({"edgeinfer", 1});
        auto bytes = model::serialize_model(b.m);
        ASSERT_TRUE(bytes.is_ok());
        SessionOptions opts;
        opts.num_threads = 1;
        auto session = Session::create_from_bytes(bytes->data(), bytes->size(), opts);
        std::string message;
        if (!session.is_ok()) {
            message = session.status().to_string();
        } else {
            auto out = session.value()->run(seeded_inputs(b.m, 1, 2));
            ASSERT_FALSE(out.is_ok()) << op;
            message = out.status().to_string();
        }
        EXPECT_NE(message.find("x_layout must be NCHW or NHWC"), std::string::npos) << op << ": " << message;
    }
}

// ONNX QLinearConv with constant int8 per-channel weights and an int32 bias (the int8 fast path)
// equals the same computation written as QDQ and run in the reference path.
TEST(QuantizedKernels, QLinearConvMatchesQdqReference) {
    ModelBuilder q;
    q.input("x", {1, 8, 9, 9}).output("y");
    add_qdq_input(q, "x", "xd", DataType::kUInt8, 0.03f, 120);
    add_int8_weight(q, "w", {6, 8, 3, 3}, true, 0, 41);
    Tensor bias = Tensor::allocate(DataType::kInt32, {6});
    for (int c = 0; c < 6; ++c) bias.data_as<int32_t>()[c] = (c - 3) * 1500;
    q.init("b", bias);
    ir::Model qdq_model = [&] {
        ModelBuilder r = q;
        // Reference: DequantizeLinear of the int32 bias with scale x_scale * w_scale[c].
        Tensor bs = Tensor::allocate(DataType::kFloat32, {6});
        for (int c = 0; c < 6; ++c)
            bs.data_as<float>()[c] = 0.03f * r.m.graph.find_initializer("w_s")->data_as<float>()[c];
        r.init("b_s", bs);
        r.node("DequantizeLinear", {"b", "b_s"}, {"bd"}, "bdq", {attr_i("axis", 0)});
        r.node("Conv", {"xd", "w", "bd"}, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
        add_qdq_output(r, "c", "y", 0.05f, 128);
        return r.build();
    }();
    // The QLinearConv model reads the same initializers directly.
    q.m.graph.nodes.erase(q.m.graph.nodes.begin() + 1);  // x's DequantizeLinear
    q.m.graph.nodes.pop_back();                          // w's DequantizeLinear
    q.init("y_s", scalar_f(0.05f)).init("y_z", scalar_q(DataType::kUInt8, 128));
    q.node("QLinearConv", {"x_q", "x_s", "x_z", "w_q", "w_s", "", "y_s", "y_z", "b"}, {"yq"}, "qconv",
           {attr_is("pads", {1, 1, 1, 1})});
    q.node("DequantizeLinear", {"yq", "y_s", "y_z"}, {"y"}, "ydq");
    ir::Model qlinear = q.build();
    auto inputs = seeded_inputs(qlinear, 1, 9);
    auto ref = run_session(qdq_model, Precision::kFp32, inputs);
    std::vector<NodeProfile> prof;
    auto got = run_session(qlinear, Precision::kFp32, inputs, &prof);
    ASSERT_EQ(ref.size(), 1u);
    ASSERT_EQ(got.size(), 1u);
    double worst = 0;
    for (int64_t i = 0; i < ref[0].tensor.numel(); ++i)
        worst =
            std::max<double>(worst, std::fabs(ref[0].tensor.data_as<float>()[i] - got[0].tensor.data_as<float>()[i]));
    EXPECT_LE(worst, 0.05 * 1.01);
    int qlinear_nodes = 0;
    for (const NodeProfile& p : prof) {
        if (p.op_type != "QLinearConv") continue;
        qlinear_nodes++;
        EXPECT_NE(p.kernel.find("onednn:int8:"), std::string::npos) << p.kernel;
    }
    EXPECT_EQ(qlinear_nodes, 1);
}

}  // namespace
}  // namespace edgeinfer::testing
