// Probe (issue 20, not built by CMake): a stride-1 unpadded 1x1 convolution on NHWC is a matrix product
// [H*W, Cin] x [Cin, Cout]; this times oneDNN's 1x1 convolution (brgconv_1x1, what edgeinfer runs) against oneDNN's
// matmul on the same data (weights packed as each wants, bias + ReLU post-op, same output bits expected up to
// summation order) on the 1x1 shapes of resnet50, mobilenet_v2, squeezenet1_1 and efficientnet_b0. Warm: repeated
// runs; cold: 64 MB streamed through the caches before each run. Build and run:
//   g++ -O2 -std=c++20 bench/conv1x1_matmul_probe.cpp -o /tmp/conv1x1_matmul_probe -ldnnl
//   OMP_NUM_THREADS=1 /tmp/conv1x1_matmul_probe
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <vector>

#include "probe_timing.hpp"
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
engine eng(engine::kind::cpu, 0);
stream strm(eng);

std::vector<float> evict_buf((size_t)16 << 20);
void evict() {
    for (size_t i = 0; i < evict_buf.size(); i += 16) evict_buf[i] += 1.0f;
}

int main() {
    struct S {
        const char* model;
        int cin, cout, h;
    } shapes[] = {{"resnet50 l1 conv1", 256, 64, 56},       {"resnet50 l1 conv3", 64, 256, 56},
                  {"resnet50 l2 conv1", 512, 128, 28},      {"resnet50 l2 conv3", 128, 512, 28},
                  {"resnet50 l3 conv1", 1024, 256, 14},     {"resnet50 l3 conv3", 256, 1024, 14},
                  {"resnet50 l4 conv1", 2048, 512, 7},      {"resnet50 l4 conv3", 512, 2048, 7},
                  {"mobilenet_v2 expand", 16, 96, 112},     {"mobilenet_v2 project", 144, 24, 56},
                  {"mobilenet_v2 expand", 96, 576, 14},     {"mobilenet_v2 last", 320, 1280, 7},
                  {"squeezenet classifier", 512, 1000, 13}, {"squeezenet fire expand", 64, 256, 13},
                  {"efficientnet expand", 40, 240, 28},     {"efficientnet project", 672, 192, 7}};
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1, 1);
    post_ops relu;
    relu.append_eltwise(1, algorithm::eltwise_relu, 0, 0);
    primitive_attr attr;
    attr.set_post_ops(relu);
    printf("%-24s %16s | conv warm / cold | matmul warm / cold | matmul/conv warm, cold | max diff\n", "layer",
           "shape");
    for (auto [model, cin, cout, h] : shapes) {
        const int m = h * h;
        std::vector<float> x((size_t)m * cin), w((size_t)cout * cin), b(cout), y1((size_t)m * cout), y2(y1.size());
        for (float& v : x) v = u(rng);
        for (float& v : w) v = u(rng) * 0.1f;
        for (float& v : b) v = u(rng);
        // Convolution, NHWC, weights packed from plain oihw.
        memory::desc cs({1, cin, h, h}, dt::f32, tag::nhwc), cd({1, cout, h, h}, dt::f32, tag::nhwc),
            cw({cout, cin, 1, 1}, dt::f32, tag::any), bd({cout}, dt::f32, tag::a);
        convolution_forward::primitive_desc cpd(
            convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct, cs, cw, bd, cd,
                                      {1, 1}, {0, 0}, {0, 0}),
            attr, eng);
        memory cwp(cpd.weights_desc(), eng);
        {
            memory plain(memory::desc({cout, cin, 1, 1}, dt::f32, tag::oihw), eng, w.data());
            reorder(plain, cwp).execute(strm, plain, cwp);
        }
        primitive conv = convolution_forward(cpd);
        std::unordered_map<int, memory> cargs{{DNNL_ARG_SRC, memory(cs, eng, x.data())},
                                              {DNNL_ARG_WEIGHTS, cwp},
                                              {DNNL_ARG_BIAS, memory(bd, eng, b.data())},
                                              {DNNL_ARG_DST, memory(cd, eng, y1.data())}};
        // Matmul [m, cin] x [cin, cout] (weights are w transposed: ba), bias [1, cout].
        memory::desc ms({m, cin}, dt::f32, tag::ab), md({m, cout}, dt::f32, tag::ab),
            mw({cin, cout}, dt::f32, tag::any), mb({1, cout}, dt::f32, tag::ab);
        matmul::primitive_desc mpd(matmul::desc(ms, mw, mb, md), attr, eng);
        memory mwp(mpd.weights_desc(), eng);
        {
            memory plain(memory::desc({cin, cout}, dt::f32, tag::ba), eng, w.data());
            reorder(plain, mwp).execute(strm, plain, mwp);
        }
        primitive mm = matmul(mpd);
        std::unordered_map<int, memory> margs{{DNNL_ARG_SRC, memory(ms, eng, x.data())},
                                              {DNNL_ARG_WEIGHTS, mwp},
                                              {DNNL_ARG_BIAS, memory(mb, eng, b.data())},
                                              {DNNL_ARG_DST, memory(md, eng, y2.data())}};
        strm.wait();
        auto warm = [&](primitive& p, std::unordered_map<int, memory>& a) {
            return time_primitive_ms(p, strm, a, 30)[7];
        };
        auto cold = [&](primitive& p, std::unordered_map<int, memory>& a) {
            std::vector<double> ms2;
            for (int k = 0; k < 24; ++k) {
                evict();
                ms2.push_back(time_runs_ms(
                    [&] {
                        p.execute(strm, a);
                        strm.wait();
                    },
                    1)[0]);
            }
            std::sort(ms2.begin(), ms2.end());
            return ms2[6];
        };
        const double cw1 = warm(conv, cargs), cc1 = cold(conv, cargs), mw1 = warm(mm, margs), mc1 = cold(mm, margs);
        double diff = 0;
        for (size_t i = 0; i < y1.size(); ++i) diff = std::max(diff, (double)std::fabs(y1[i] - y2[i]));
        char shape[64];
        snprintf(shape, sizeof shape, "%d->%d @%d", cin, cout, h);
        printf("%-24s %16s | %.3f / %.3f | %.3f / %.3f | %.2f, %.2f | %.1e (%s, %s)\n", model, shape, cw1, cc1, mw1,
               mc1, mw1 / cw1, mc1 / cc1, diff, cpd.impl_info_str(), mpd.impl_info_str());
    }
}
