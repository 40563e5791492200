// Probe (issue 20, not built by CMake): every oneDNN implementation of a 3x3 stride-1 convolution with a sum and
// ReLU post-op (a ResNet block's second conv) on ResNet's four shapes, direct (NHWC) and Winograd (nChw16c), one
// primitive at a time; prints the lower quartile of 40 runs. Build and run:
//   g++ -O2 -std=c++20 bench/conv_tactics_probe.cpp -o /tmp/conv_tactics_probe -ldnnl
//   OMP_NUM_THREADS=1 /tmp/conv_tactics_probe
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
// The lower quartile of `reps` single executions.
double time_prim(primitive& p, std::unordered_map<int, memory>& args, int reps) {
    return time_primitive_ms(p, strm, args, reps)[reps / 4];
}
int main() {
    struct S { int c, h; } rs[] = {{64, 56}, {128, 28}, {256, 14}, {512, 7}};
    for (auto [c, h] : rs) {
        for (auto alg : {algorithm::convolution_direct, algorithm::convolution_winograd}) {
            tag t = alg == algorithm::convolution_direct ? tag::nhwc : tag::nChw16c;
            memory::desc s({1, c, h, h}, dt::f32, t), d({1, c, h, h}, dt::f32, t), w({c, c, 3, 3}, dt::f32, tag::any), b({c}, dt::f32, tag::a);
            convolution_forward::desc cd(prop_kind::forward_inference, alg, s, w, b, d, {1, 1}, {1, 1}, {1, 1});
            post_ops sr; sr.append_sum(1.0f); sr.append_eltwise(1, algorithm::eltwise_relu, 0, 0);
            primitive_attr attr; attr.set_post_ops(sr);
            convolution_forward::primitive_desc pd(cd, attr, eng);
            do {
                std::string impl = pd.impl_info_str();
                if (impl.rfind("ref", 0) == 0 || impl.find("gemm") != std::string::npos) continue;
                convolution_forward p(pd);
                std::unordered_map<int, memory> a{{DNNL_ARG_SRC, memory(pd.src_desc(), eng)}, {DNNL_ARG_WEIGHTS, memory(pd.weights_desc(), eng)}, {DNNL_ARG_BIAS, memory(b, eng)}, {DNNL_ARG_DST, memory(pd.dst_desc(), eng)}};
                primitive pp = p;
                printf("%d@%d %s: %.3f ms\n", c, h, impl.c_str(), time_prim(pp, a, 40));
            } while (pd.next_impl());
        }
    }
}
