// Probe (issue 20, not built by CMake): every oneDNN implementation of a 3x3 stride-1 convolution on ResNet's
// shapes (and a few others), direct (NHWC) and Winograd (nChw16c; oneDNN 2.6 has F(2,3) `jit_fp32_wino_2x3` and
// F(4,3) `jit_wino_4x3` on AVX-512), with a ReLU post-op (a block's first conv) or sum + ReLU (its second conv).
// The candidates of one shape are timed interleaved (round after round, 5 runs each), so load from elsewhere hits
// them alike; prints the lower quartile of all runs' wall time and the median of their CPU time (process, all
// threads), each with its ratio to direct. Build and run:
//   g++ -O2 -std=c++20 bench/conv_tactics_probe.cpp -o /tmp/conv_tactics_probe -ldnnl
//   OMP_NUM_THREADS=1 /tmp/conv_tactics_probe [rounds [C,M,H ...]]   # OMP_NUM_THREADS=2 for two threads
// PROBE_FLUSH=1 evicts the caches before every run (a layer inside a network finds its weights cold).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
engine eng(engine::kind::cpu, 0);
stream strm(eng);

// A memory of `md` holding seeded values in [-1, 1) (uninitialized buffers may hold denormals or NaNs, which
// slow some kernels by 10x); weights go through a reorder from plain oihw, as edgeinfer packs them.
memory seeded(const memory::desc& md, const memory::dims& plain_dims, tag plain_tag) {
    static unsigned seed = 1;
    memory plain(memory::desc(plain_dims, dt::f32, plain_tag), eng), m(md, eng);
    float* p = static_cast<float*>(plain.get_data_handle());
    for (size_t i = 0; i < plain.get_desc().get_size() / sizeof(float); ++i) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f;
    }
    reorder(plain, m).execute(strm, plain, m);
    strm.wait();
    return m;
}

struct Candidate {
    std::string impl;
    primitive prim;
    std::unordered_map<int, memory> args;
    std::vector<double> ms, cpu_ms;
};

double cpu_now_ms() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 8;
    // PROBE_FLUSH=1: write 64 MB between runs, so every run starts with cold caches (a layer inside a network).
    const bool flush = std::getenv("PROBE_FLUSH") && std::atoi(std::getenv("PROBE_FLUSH")) != 0;
    std::vector<float> junk(flush ? (64u << 20) / sizeof(float) : 0);
    struct S {
        int c, m, h;
    };
    std::vector<S> shapes = {{64, 64, 56}, {128, 128, 28}, {256, 256, 14}, {512, 512, 7},
                             {32, 32, 56}, {64, 64, 28},   {128, 128, 14}, {256, 256, 7}};
    if (argc > 2) shapes.clear();
    for (int i = 2; i < argc; ++i) {
        S sh{};
        if (std::sscanf(argv[i], "%d,%d,%d", &sh.c, &sh.m, &sh.h) != 3) return std::fprintf(stderr, "C,M,H\n"), 2;
        shapes.push_back(sh);
    }
    for (auto [c, m, h] : shapes) {
        for (bool sum : {false, true}) {
            std::vector<Candidate> cands;
            for (auto alg : {algorithm::convolution_direct, algorithm::convolution_winograd}) {
                tag t = alg == algorithm::convolution_direct ? tag::nhwc : tag::nChw16c;
                memory::desc s({1, c, h, h}, dt::f32, t), d({1, m, h, h}, dt::f32, t),
                    w({m, c, 3, 3}, dt::f32, tag::any), b({m}, dt::f32, tag::a);
                convolution_forward::desc cd(prop_kind::forward_inference, alg, s, w, b, d, {1, 1}, {1, 1}, {1, 1});
                post_ops po;
                if (sum) po.append_sum(1.0f);
                po.append_eltwise(1, algorithm::eltwise_relu, 0, 0);
                primitive_attr attr;
                attr.set_post_ops(po);
                convolution_forward::primitive_desc pd;
                try {
                    pd = convolution_forward::primitive_desc(cd, attr, eng);
                } catch (const dnnl::error&) {
                    continue;  // no Winograd on this CPU
                }
                do {
                    std::string impl = pd.impl_info_str();
                    if (impl.rfind("ref", 0) == 0 || impl.find("gemm") != std::string::npos) continue;
                    // Slower ISAs' direct code only where it is oneDNN's first (ONEDNN_MAX_CPU_ISA lowered).
                    if (!cands.empty() && impl.find("avx512") == std::string::npos) continue;
                    Candidate k{impl,
                                convolution_forward(pd),
                                {{DNNL_ARG_SRC, seeded(pd.src_desc(), {1, c, h, h}, tag::nchw)},
                                 {DNNL_ARG_WEIGHTS, seeded(pd.weights_desc(), {m, c, 3, 3}, tag::oihw)},
                                 {DNNL_ARG_BIAS, seeded(b, {m}, tag::a)},
                                 {DNNL_ARG_DST, seeded(pd.dst_desc(), {1, m, h, h}, tag::nchw)}},
                                {},
                                {}};
                    k.prim.execute(strm, k.args);  // warm up
                    strm.wait();
                    cands.push_back(std::move(k));
                } while (pd.next_impl());
            }
            for (int r = 0; r < rounds; ++r)
                for (Candidate& k : cands)
                    for (int i = 0; i < 5; ++i) {
                        if (flush) {  // evict this layer's weights and data, as the rest of a network does
                            for (size_t k = 0; k < junk.size(); k += 16) junk[k] += 1.0f;
                        }
                        const double c0 = cpu_now_ms();
                        auto t0 = std::chrono::steady_clock::now();
                        k.prim.execute(strm, k.args);
                        strm.wait();
                        k.ms.push_back(
                            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                        k.cpu_ms.push_back(cpu_now_ms() - c0);
                    }
            double direct = 0, direct_cpu = 0;
            for (Candidate& k : cands) {
                std::sort(k.ms.begin(), k.ms.end());
                std::sort(k.cpu_ms.begin(), k.cpu_ms.end());
                double q = k.ms[k.ms.size() / 4], cpu = k.cpu_ms[k.cpu_ms.size() / 2];
                if (direct == 0) direct = q, direct_cpu = cpu;  // the first candidate: oneDNN's first direct one
                printf("%d->%d@%d %-8s %-36s %.3f ms  %.2fx direct; cpu median %.3f ms %.2fx\n", c, m, h,
                       sum ? "sum+relu" : "relu", k.impl.c_str(), q, q / direct, cpu, cpu / direct_cpu);
            }
        }
    }
}
