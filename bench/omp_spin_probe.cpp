// Probe (issue 20, not built by CMake): a ResNet-18-like chain of 17 oneDNN NHWC convolutions timed per pass
// (median, 10th percentile and process CPU ms per pass), to compare libgomp's barrier spinning settings on a shared
// machine. Build and run:
//   g++ -O2 -std=c++20 bench/omp_spin_probe.cpp -o /tmp/omp_spin_probe -ldnnl
//   OMP_NUM_THREADS=2 [GOMP_SPINCOUNT=N | OMP_WAIT_POLICY=passive] /tmp/omp_spin_probe 20
#include <sys/resource.h>

#include <cstdio>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "probe_timing.hpp"
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
int main(int argc, char** argv) {
    engine eng(engine::kind::cpu, 0);
    stream strm(eng);
    struct L { int cin, cout, h, k, s; };
    std::vector<L> ls = {{3, 64, 224, 7, 2}};
    for (int i = 0; i < 4; ++i) ls.push_back({64, 64, 56, 3, 1});
    ls.push_back({64, 128, 56, 3, 2});
    for (int i = 0; i < 3; ++i) ls.push_back({128, 128, 28, 3, 1});
    ls.push_back({128, 256, 28, 3, 2});
    for (int i = 0; i < 3; ++i) ls.push_back({256, 256, 14, 3, 1});
    ls.push_back({256, 512, 14, 3, 2});
    for (int i = 0; i < 3; ++i) ls.push_back({512, 512, 7, 3, 1});
    std::vector<primitive> ps;
    std::vector<std::unordered_map<int, memory>> as;
    for (auto l : ls) {
        int oh = (l.h + 2 * (l.k / 2) - l.k) / l.s + 1;
        memory::desc s({1, l.cin, l.h, l.h}, dt::f32, tag::nhwc), d({1, l.cout, oh, oh}, dt::f32, tag::nhwc);
        memory::desc w({l.cout, l.cin, l.k, l.k}, dt::f32, tag::any);
        convolution_forward::desc cd(prop_kind::forward_inference, algorithm::convolution_direct, s, w, d, {l.s, l.s},
                                     {l.k / 2, l.k / 2}, {l.k / 2, l.k / 2});
        convolution_forward::primitive_desc pd(cd, eng);
        ps.push_back(convolution_forward(pd));
        as.push_back({{DNNL_ARG_SRC, memory(pd.src_desc(), eng)}, {DNNL_ARG_WEIGHTS, memory(pd.weights_desc(), eng)},
                      {DNNL_ARG_DST, memory(pd.dst_desc(), eng)}});
    }
    auto run = [&] { for (size_t i = 0; i < ps.size(); ++i) ps[i].execute(strm, as[i]); strm.wait(); };
    for (int i = 0; i < 3; ++i) run();
    int n = argc > 1 ? atoi(argv[1]) : 30;
    rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    const std::vector<double> t = time_runs_ms(run, n);
    getrusage(RUSAGE_SELF, &r1);
    auto ms = [](timeval a, timeval b) { return (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_usec - a.tv_usec) / 1e3; };
    printf("median %.2f ms  p10 %.2f  cpu %.2f ms/run\n", t[n / 2], t[n / 10], (ms(r0.ru_utime, r1.ru_utime) + ms(r0.ru_stime, r1.ru_stime)) / n);
}
