// The machine's fp32 peak: independent AVX-512 (else AVX2) FMA chains on N threads, in GFLOP/s.
//
//   fp32_peak [--threads N] [--seconds S] [--json]
//
// Each thread keeps 16 accumulator registers busy with fused multiply-adds (enough independent chains
// to cover FMA latency x throughput on current x86 cores) and counts 2 FLOPs per lane per FMA. The best
// of several short trials is reported, so a busy machine lowers the number less than it lowers a mean.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 16;
constexpr long kInnerIterations = 1 << 16;

// The AVX-512 code is compiled for that ISA only here (target attribute), so the program still starts,
// and falls back to AVX2, on a machine without it.
__attribute__((target("avx512f"))) float fma_loop_avx512(long outer) {
    __m512 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(0.001f * static_cast<float>(c));
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long o = 0; o < outer; ++o)
        for (long i = 0; i < kInnerIterations; ++i)
            for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    __m512 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm512_add_ps(sum, acc[c]);
    float lanes[16];
    _mm512_storeu_ps(lanes, sum);
    float s = 0;
    for (float v : lanes) s += v;
    return s;
}

__attribute__((target("avx2,fma"))) float fma_loop_avx2(long outer) {
    __m256 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(0.001f * static_cast<float>(c));
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long o = 0; o < outer; ++o)
        for (long i = 0; i < kInnerIterations; ++i)
            for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    __m256 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, acc[c]);
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    float s = 0;
    for (float v : lanes) s += v;
    return s;
}

std::atomic<float> g_sink{0};

// GFLOP/s of `threads` threads each running `outer` x kInnerIterations x kChains FMAs.
double trial(int threads, long outer, bool avx512) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            ready.fetch_add(1);
            while (!go.load()) std::this_thread::yield();
            float r = avx512 ? fma_loop_avx512(outer) : fma_loop_avx2(outer);
            g_sink.store(g_sink.load() + r);
        });
    while (ready.load() < threads) std::this_thread::yield();
    auto t0 = std::chrono::steady_clock::now();
    go.store(true);
    for (auto& th : pool) th.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double lanes = avx512 ? 16 : 8;
    double flops = 2.0 * lanes * kChains * static_cast<double>(kInnerIterations) * static_cast<double>(outer) * threads;
    return flops / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 1;
    double seconds = 1.0;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc) {
            threads = std::atoi(argv[++i]);
        } else if (a == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (a == "--json") {
            json = true;
        } else {
            std::fprintf(stderr, "usage: fp32_peak [--threads N] [--seconds S] [--json]\n");
            return 2;
        }
    }
    if (threads < 1 || !(seconds > 0)) {
        std::fprintf(stderr, "fp32_peak: --threads must be >= 1 and --seconds > 0\n");
        return 2;
    }
    __builtin_cpu_init();
    bool avx512 = __builtin_cpu_supports("avx512f");
    if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
        std::fprintf(stderr, "fp32_peak: this CPU has neither AVX-512F nor AVX2+FMA\n");
        return 1;
    }
    // Calibrate: size one trial to a thirtieth of the budget, then keep the best trial (short trials catch the
    // moments when a shared machine leaves the cores alone).
    long outer = 1;
    double gflops = trial(threads, outer, avx512);
    double per_outer_s = 2.0 * (avx512 ? 16 : 8) * kChains * kInnerIterations * threads / (gflops * 1e9);
    outer = std::max(1L, static_cast<long>(seconds / 30 / per_outer_s));
    double best = 0;
    auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds)
        best = std::max(best, trial(threads, outer, avx512));
    const char* isa = avx512 ? "avx512f" : "avx2";
    if (json)
        std::printf("{\"threads\": %d, \"isa\": \"%s\", \"gflops\": %.2f}\n", threads, isa, best);
    else
        std::printf("fp32 peak (%s FMA, %d thread(s)): %.1f GFLOP/s\n", isa, threads, best);
    return g_sink.load() == 12345.0f ? 3 : 0;  // keeps the result observable
}
