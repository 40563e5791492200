// ONNX shape inference behind rank checks that libonnx 1.12's conv/pool inference lacks.
#include "model/onnx_inference.hpp"

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/shape_inference/implementation.h>

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace edgeinfer::model {
namespace {

// Rank of input `i` when known, else -1.
int input_rank(onnx::InferenceContext& ctx, int i) {
    if (i < 0 || static_cast<size_t>(i) >= ctx.getNumInputs()) return -1;
    const onnx::TypeProto* t = ctx.getInputType(static_cast<size_t>(i));
    if (!t || !t->has_tensor_type() || !t->tensor_type().has_shape()) return -1;
    return t->tensor_type().shape().dim_size();
}

void check_ints(onnx::InferenceContext& ctx, const char* name, int expected) {
    const onnx::AttributeProto* a = ctx.getAttribute(name);
    if (a && a->ints_size() != expected)
        fail_shape_inference("attribute ", name, " has ", a->ints_size(), " values, the input's rank needs ", expected);
}

// libonnx 1.12 divides by strides and dilations (SIGFPE on 0); model/validate.cpp names the node.
void check_positive(onnx::InferenceContext& ctx, const char* name, int64_t minimum) {
    const onnx::AttributeProto* a = ctx.getAttribute(name);
    if (!a) return;
    for (int64_t v : a->ints())
        if (v < minimum) fail_shape_inference("attribute ", name, " has a value below ", minimum);
}

// The checks named in the header, for an op whose data input is `x` and weight input `w` (-1: none).
void check_conv_pool_ranks(onnx::InferenceContext& ctx, int x, int w) {
    for (const char* name : {"strides", "dilations", "kernel_shape"}) check_positive(ctx, name, 1);
    check_positive(ctx, "pads", 0);
    const int rank = input_rank(ctx, x);
    if (rank < 0) return;  // the original function returns early without the input's shape too
    if (rank < 3) fail_shape_inference("input has rank ", rank, ", needs at least 3 (N, C, spatial...)");
    const int wrank = input_rank(ctx, w);
    if (wrank >= 0 && wrank != rank) fail_shape_inference("weight has rank ", wrank, ", the input ", rank);
    const int spatial = rank - 2;
    for (const char* name : {"kernel_shape", "strides", "dilations", "output_padding"}) check_ints(ctx, name, spatial);
    check_ints(ctx, "pads", 2 * spatial);
}

void harden_schemas() {
    struct Op {
        const char* name;
        int x, w;
    };
    static const Op kOps[] = {{"Conv", 0, 1},    {"ConvInteger", 0, 1}, {"QLinearConv", 0, 3},
                              {"ConvTranspose", 0, 1}, {"MaxPool", 0, -1}, {"AveragePool", 0, -1},
                              {"LpPool", 0, -1}};
    for (const Op& op : kOps) {
        std::set<const onnx::OpSchema*> versions;
        const int latest = onnx::OpSchemaRegistry::Schema(op.name) ? onnx::OpSchemaRegistry::Schema(op.name)->SinceVersion() : 0;
        for (int v = 1; v <= latest; ++v)
            if (const onnx::OpSchema* s = onnx::OpSchemaRegistry::Schema(op.name, v)) versions.insert(s);
        for (const onnx::OpSchema* s : versions) {
            // The registry holds its schemas as non-const objects; it hands out const pointers only.
            auto* schema = const_cast<onnx::OpSchema*>(s);
            onnx::InferenceFunction original = schema->GetTypeAndShapeInferenceFunction();
            schema->TypeAndShapeInferenceFunction([original, x = op.x, w = op.w](onnx::InferenceContext& ctx) {
                check_conv_pool_ranks(ctx, x, w);
                original(ctx);
            });
        }
    }
}

}  // namespace

bool run_onnx_shape_inference(onnx::ModelProto& proto, bool data_propagation) {
    static std::once_flag hardened;
    std::call_once(hardened, harden_schemas);
    try {
        onnx::ShapeInferenceOptions opts(false, 0, data_propagation);
        onnx::shape_inference::InferShapes(proto, onnx::OpSchemaRegistry::Instance(), opts);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace edgeinfer::model
