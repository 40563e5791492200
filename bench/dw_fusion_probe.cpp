// Probe (issue 20, not built by CMake): direct 3x3 convs NHWC vs nChw16c vs Winograd, the NHWC<->nChw16c reorder,
// and MobileNet's 1x1 conv + ReLU6 + depthwise 3x3 + ReLU6 run as two primitives or as one with oneDNN's
// depthwise post-op (post_ops::append_dw), in NHWC and nChw16c. Best of 20 x 5 runs. Build and run:
//   g++ -O2 -std=c++20 bench/dw_fusion_probe.cpp -o /tmp/dw_fusion_probe -ldnnl
//   OMP_NUM_THREADS=1 /tmp/dw_fusion_probe
#include <cstdio>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "probe_timing.hpp"
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
engine eng(engine::kind::cpu, 0);
stream strm(eng);
// The best of `reps` batches of 5 executions, per execution.
double time_prim(primitive& p, std::unordered_map<int, memory>& args, int reps) {
    return time_primitive_ms(p, strm, args, reps, 5).front();
}
struct Built { primitive p; std::unordered_map<int, memory> args; std::string impl; };
// The primitive of `pd` with fresh memory for its source, weights, bias (`b`) and destination.
Built built(const convolution_forward::primitive_desc& pd, const memory::desc& b) {
    Built r{convolution_forward(pd), {}, pd.impl_info_str()};
    r.args[DNNL_ARG_SRC] = memory(pd.src_desc(), eng);
    r.args[DNNL_ARG_WEIGHTS] = memory(pd.weights_desc(), eng);
    r.args[DNNL_ARG_BIAS] = memory(b, eng);
    r.args[DNNL_ARG_DST] = memory(pd.dst_desc(), eng);
    return r;
}
Built conv(memory::dims src, memory::dims wei, memory::dims dst, memory::dims strides, memory::dims pad, tag t,
           algorithm alg, post_ops ops, int groups_dw = 0) {
    memory::desc s(src, dt::f32, t), d(dst, dt::f32, t), w(wei, dt::f32, tag::any), b({dst[1]}, dt::f32, tag::a);
    convolution_forward::desc cd(prop_kind::forward_inference, alg, s, w, b, d, strides, pad, pad);
    primitive_attr attr;
    attr.set_post_ops(ops);
    convolution_forward::primitive_desc pd(cd, attr, eng);
    Built r = built(pd, b);
    if (groups_dw) {
        auto wmd = pd.query_md(query::exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS);
        auto bmd = pd.query_md(query::exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS);
        r.args[DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS] = memory(wmd, eng);
        r.args[DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS] = memory(bmd, eng);
    }
    return r;
}
Built dwconv(memory::dims src, memory::dims dst, int s, tag t, post_ops ops) {
    memory::desc sd(src, dt::f32, t), d(dst, dt::f32, t), w({src[1], 1, 1, 3, 3}, dt::f32, tag::any), b({dst[1]}, dt::f32, tag::a);
    convolution_forward::desc cd(prop_kind::forward_inference, algorithm::convolution_direct, sd, w, b, d, {s, s}, {1, 1}, {1, 1});
    primitive_attr attr; attr.set_post_ops(ops);
    convolution_forward::primitive_desc pd(cd, attr, eng);
    Built r = built(pd, b);
    return r;
}
int main() {
    int reps = 20;
    post_ops relu6; relu6.append_eltwise(1, algorithm::eltwise_clip, 0, 6);
    // (a) direct conv nhwc vs nChw16c vs winograd (resnet shapes)
    struct S { int c, h; } rs[] = {{64, 56}, {128, 28}, {256, 14}, {512, 7}};
    for (auto [c, h] : rs) {
        for (tag t : {tag::nhwc, tag::nChw16c}) {
            auto b = conv({1, c, h, h}, {c, c, 3, 3}, {1, c, h, h}, {1, 1}, {1, 1}, t, algorithm::convolution_direct, post_ops());
            printf("3x3 %d@%d direct %s: %.3f ms (%s)\n", c, h, t == tag::nhwc ? "nhwc" : "nChw16c", time_prim(b.p, b.args, reps), b.impl.c_str());
        }
        try {
            auto b = conv({1, c, h, h}, {c, c, 3, 3}, {1, c, h, h}, {1, 1}, {1, 1}, tag::nChw16c, algorithm::convolution_winograd, post_ops());
            printf("3x3 %d@%d wino nChw16c: %.3f ms (%s)\n", c, h, time_prim(b.p, b.args, reps), b.impl.c_str());
        } catch (dnnl::error& e) { printf("wino: %s\n", e.what()); }
        try {
            post_ops sr; sr.append_sum(1.0f); sr.append_eltwise(1, algorithm::eltwise_relu, 0, 0);
            auto b = conv({1, c, h, h}, {c, c, 3, 3}, {1, c, h, h}, {1, 1}, {1, 1}, tag::nChw16c, algorithm::convolution_winograd, sr);
            printf("3x3 %d@%d wino+sum+relu nChw16c: %.3f ms (%s)\n", c, h, time_prim(b.p, b.args, reps), b.impl.c_str());
        } catch (dnnl::error& e) { printf("wino+sum: %s\n", e.what()); }
        // reorder cost nhwc<->nChw16c
        memory a(memory::desc({1, c, h, h}, dt::f32, tag::nhwc), eng), bb(memory::desc({1, c, h, h}, dt::f32, tag::nChw16c), eng);
        reorder ro(a, bb);
        std::unordered_map<int, memory> args{{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, bb}};
        primitive p = ro;
        printf("reorder nhwc->nChw16c %d@%d: %.3f ms\n", c, h, time_prim(p, args, reps));
    }
    // (b) mobilenet: 1x1 (cin->ce) + relu6 then dw 3x3 s + relu6
    struct M { int cin, ce, h, s; } ms[] = {{24, 144, 56, 1}, {24, 144, 56, 2}, {32, 192, 28, 1}, {64, 384, 14, 1}, {16, 96, 112, 2}, {96, 576, 14, 1}, {160, 960, 7, 1}};
    for (auto [cin, ce, h, s] : ms) {
        int oh = (h + 2 - 3) / s + 1;
        for (tag t : {tag::nhwc, tag::nChw16c}) {
            auto a = conv({1, cin, h, h}, {ce, cin, 1, 1}, {1, ce, h, h}, {1, 1}, {0, 0}, t, algorithm::convolution_direct, relu6);
            auto d = dwconv({1, ce, h, h}, {1, ce, oh, oh}, s, t, relu6);
            double ta = time_prim(a.p, a.args, reps), td = time_prim(d.p, d.args, reps);
            printf("mb %d->%d@%d s%d %s: 1x1 %.3f (%s) + dw %.3f (%s) = %.3f\n", cin, ce, h, s, t == tag::nhwc ? "nhwc" : "nChw16c", ta, a.impl.c_str(), td, d.impl.c_str(), ta + td);
            try {
                post_ops f; f.append_eltwise(1, algorithm::eltwise_clip, 0, 6);
                f.append_dw(dt::f32, dt::f32, dt::f32, 3, s, 1, 0, {});
                f.append_eltwise(1, algorithm::eltwise_clip, 0, 6);
                auto fb = conv({1, cin, h, h}, {ce, cin, 1, 1}, {1, ce, oh, oh}, {1, 1}, {0, 0}, t, algorithm::convolution_direct, f, 1);
                printf("   fused %s: %.3f (%s)\n", t == tag::nhwc ? "nhwc" : "nChw16c", time_prim(fb.p, fb.args, reps), fb.impl.c_str());
            } catch (dnnl::error& e) { printf("   fused: %s\n", e.what()); }
        }
    }
}
