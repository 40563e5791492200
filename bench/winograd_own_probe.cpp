// Probe (issue 20, not built by CMake): an own Winograd F(4x4, 3x3) for NHWC fp32 convolutions (input and
// output transforms in C++ on 16-channel vectors, the 36 products as one batched oneDNN matmul per block of
// tiles) against oneDNN's direct (NHWC brgconv) and Winograd (nChw16c) convolutions, on ResNet's 3x3 layers.
// Warm: each layer runs as a chain of 4 convolutions with distinct weights (as in a ResNet stage). Cold: one
// convolution after 256 MB were streamed through the caches (weights and input from memory, as for a layer
// whose weights were evicted by the rest of the network). Variant 2 transforms the raw 3x3 weights on the fly,
// per chunk of output channels, so that only 9 floats per filter come from memory instead of 36.
// Results and what they mean: bench/RESULTS.md, "Own Winograd F(4,3) ...". Build and run:
//   g++ -O3 -march=native -fopenmp -std=c++20 bench/winograd_own_probe.cpp -o /tmp/wino_probe -ldnnl
//   OMP_NUM_THREADS=1 /tmp/wino_probe
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "probe_timing.hpp"
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
engine eng(engine::kind::cpu, 0);
stream strm(eng);

typedef float v16 __attribute__((vector_size(64), aligned(4)));

static inline v16 ld(const float* p) { return *reinterpret_cast<const v16*>(p); }
static inline void st(float* p, v16 v) { *reinterpret_cast<v16*>(p) = v; }

// B^T d along one axis: 6 inputs (stride `is`) -> 6 outputs (stride `os`).
static inline void in_1d(const v16* d, v16* t) {
    v16 a = d[4] - 4 * d[2], b = d[3] - 4 * d[1];
    v16 c = d[4] - d[2], e = 2 * (d[3] - d[1]);
    t[0] = 4 * d[0] - 5 * d[2] + d[4];
    t[1] = a + b;
    t[2] = a - b;
    t[3] = c + e;
    t[4] = c - e;
    t[5] = 4 * d[1] - 5 * d[3] + d[5];
}
static inline void out_1d(const v16* m, v16* y) {
    v16 s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];
    y[0] = m[0] + s12 + s34;
    y[1] = d12 + 2 * d34;
    y[2] = s12 + 4 * s34;
    y[3] = d12 + 8 * d34 + m[5];
}

struct Layer {
    int c, k, h, w;  // NHWC input 1 x h x w x c, pad 1, output h x w x k
    int th, tw, tiles;
};

// Floats between the 36 planes of a [36][tb][n] block: padded off multiples of 4 KB (cache set conflicts).
static inline size_t plane(int tb, int n) { return (size_t)tb * n + 16; }

// Input transform of tiles [t0, t1) into V [36][tb][C] (row t - t0).
void input_transform(const Layer& L, const float* x, float* V, int tb, int t0, int t1) {
    const int C = L.c;
    const size_t ps = plane(tb, C);
    for (int t = t0; t < t1; ++t) {
        const int ty = t / L.tw, tx = t % L.tw;
        const int y0 = ty * 4 - 1, x0 = tx * 4 - 1;
        const bool inside = y0 >= 0 && x0 >= 0 && y0 + 6 <= L.h && x0 + 6 <= L.w;
        for (int c = 0; c < C; c += 16) {
            v16 d[6][6], tmp[6][6];
            if (inside) {
                const float* base = x + ((size_t)y0 * L.w + x0) * C + c;
                for (int i = 0; i < 6; ++i)
                    for (int j = 0; j < 6; ++j) d[i][j] = ld(base + ((size_t)i * L.w + j) * C);
            } else {
                for (int i = 0; i < 6; ++i)
                    for (int j = 0; j < 6; ++j) {
                        const int yy = y0 + i, xx = x0 + j;
                        if (yy >= 0 && yy < L.h && xx >= 0 && xx < L.w)
                            d[i][j] = ld(x + ((size_t)yy * L.w + xx) * C + c);
                        else
                            d[i][j] = v16{};
                    }
            }
            for (int j = 0; j < 6; ++j) {
                v16 col[6], o[6];
                for (int i = 0; i < 6; ++i) col[i] = d[i][j];
                in_1d(col, o);
                for (int i = 0; i < 6; ++i) tmp[i][j] = o[i];
            }
            for (int i = 0; i < 6; ++i) {
                v16 o[6];
                in_1d(tmp[i], o);
                for (int j = 0; j < 6; ++j) st(V + (size_t)(i * 6 + j) * ps + (size_t)(t - t0) * C + c, o[j]);
            }
        }
    }
}

// Output transform of M [36][tb][K] (K output channels from k0 on; the whole layer's by default) for tiles
// [t0, t1), + bias, ReLU, into y (NHWC, L.k channels per pixel).
void output_transform(const Layer& L, const float* M, const float* bias, float* y, int tb, int t0, int t1, int K = 0,
                      int k0 = 0) {
    if (K == 0) K = L.k;
    const size_t ps = plane(tb, K);
    for (int t = t0; t < t1; ++t) {
        const int ty = t / L.tw, tx = t % L.tw;
        for (int k = 0; k < K; k += 16) {
            v16 m[6][6], tmp[4][6];
            for (int p = 0; p < 36; ++p) m[p / 6][p % 6] = ld(M + (size_t)p * ps + (size_t)(t - t0) * K + k);
            for (int j = 0; j < 6; ++j) {
                v16 col[6], o[4];
                for (int i = 0; i < 6; ++i) col[i] = m[i][j];
                out_1d(col, o);
                for (int i = 0; i < 4; ++i) tmp[i][j] = o[i];
            }
            const v16 b = ld(bias + k0 + k);
            for (int i = 0; i < 4; ++i) {
                const int yy = ty * 4 + i;
                if (yy >= L.h) break;
                v16 o[4];
                out_1d(tmp[i], o);
                for (int j = 0; j < 4; ++j) {
                    const int xx = tx * 4 + j;
                    if (xx >= L.w) break;
                    v16 v = o[j] + b;
                    v = v > 0 ? v : 0;
                    st(y + ((size_t)yy * L.w + xx) * L.k + k0 + k, v);
                }
            }
        }
    }
}

// U [36][C][K] = G g G^T for weights g [K][C][3][3].
std::vector<float> transform_weights(const Layer& L, const std::vector<float>& g) {
    const double G[6][3] = {{1.0 / 4, 0, 0},
                            {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                            {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                            {1.0 / 24, 1.0 / 12, 1.0 / 6},
                            {1.0 / 24, -1.0 / 12, 1.0 / 6},
                            {0, 0, 1}};
    std::vector<float> U((size_t)36 * L.c * L.k);
    for (int k = 0; k < L.k; ++k)
        for (int c = 0; c < L.c; ++c) {
            const float* w = &g[((size_t)k * L.c + c) * 9];
            double t[6][3];
            for (int i = 0; i < 6; ++i)
                for (int j = 0; j < 3; ++j)
                    t[i][j] = G[i][0] * w[0 * 3 + j] + G[i][1] * w[1 * 3 + j] + G[i][2] * w[2 * 3 + j];
            for (int i = 0; i < 6; ++i)
                for (int j = 0; j < 6; ++j)
                    U[((size_t)(i * 6 + j) * L.c + c) * L.k + k] =
                        (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
        }
    return U;
}

memory::desc vdesc(int tb, int n) {
    return memory::desc({36, tb, n}, dt::f32, memory::dims{(memory::dim)plane(tb, n), n, 1});
}
struct Own {
    Layer L;
    int tb;  // tiles per block
    matmul mm;
    memory U;  // packed
    std::vector<float> bias;
    size_t per_thread;  // floats of V + M per thread
    std::vector<float> scratch;
    std::string impl;
};

Own make_own(const Layer& L, const std::vector<float>& g, const std::vector<float>& bias, int tb) {
    Own o{L, tb, {}, {}, bias, 0, {}, {}};
    memory::desc src = vdesc(tb, L.c), wany({36, L.c, L.k}, dt::f32, tag::any), dst = vdesc(tb, L.k);
    matmul::primitive_desc pd(matmul::desc(src, wany, dst), eng);
    o.impl = pd.impl_info_str();
    o.mm = matmul(pd);
    std::vector<float> u = transform_weights(L, g);
    memory plain(memory::desc({36, L.c, L.k}, dt::f32, tag::abc), eng, u.data());
    o.U = memory(pd.weights_desc(), eng);
    reorder(plain, o.U).execute(strm, plain, o.U);
    strm.wait();
    o.per_thread = 36 * (plane(tb, L.c) + plane(tb, L.k));
    o.scratch.resize(o.per_thread * omp_get_max_threads() + 64);
    return o;
}

void run_own(Own& o, const float* x, float* y) {
    const Layer& L = o.L;
    const int blocks = (L.tiles + o.tb - 1) / o.tb;
    const memory::desc src = vdesc(o.tb, L.c), dst = vdesc(o.tb, L.k);
#pragma omp parallel for schedule(static)
    for (int b = 0; b < blocks; ++b) {
        float* V = o.scratch.data() + o.per_thread * omp_get_thread_num();
        float* M = V + 36 * plane(o.tb, L.c);
        const int t0 = b * o.tb, t1 = std::min(L.tiles, t0 + o.tb);
        input_transform(L, x, V, o.tb, t0, t1);
        memory ms(src, eng, V), md(dst, eng, M);
        o.mm.execute(strm, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, o.U}, {DNNL_ARG_DST, md}});
        output_transform(L, M, o.bias.data(), y, o.tb, t0, t1);
    }
}

struct Direct {
    primitive p;
    memory w, b;
    std::string impl;
    memory::desc src, dst;
};
Direct make_conv(const Layer& L, const std::vector<float>& g, const std::vector<float>& bias, algorithm alg, tag t) {
    memory::desc s({1, L.c, L.h, L.w}, dt::f32, t), d({1, L.k, L.h, L.w}, dt::f32, t),
        w({L.k, L.c, 3, 3}, dt::f32, tag::any), b({L.k}, dt::f32, tag::a);
    convolution_forward::desc cd(prop_kind::forward_inference, alg, s, w, b, d, {1, 1}, {1, 1}, {1, 1});
    post_ops ops;
    ops.append_eltwise(1, algorithm::eltwise_relu, 0, 0);
    primitive_attr attr;
    attr.set_post_ops(ops);
    convolution_forward::primitive_desc pd(cd, attr, eng);
    Direct r{convolution_forward(pd), memory(pd.weights_desc(), eng), memory(b, eng), pd.impl_info_str(), s, d};
    memory plain(memory::desc({L.k, L.c, 3, 3}, dt::f32, tag::oihw), eng, const_cast<float*>(g.data()));
    reorder(plain, r.w).execute(strm, plain, r.w);
    std::memcpy(r.b.get_data_handle(), bias.data(), bias.size() * 4);
    strm.wait();
    return r;
}

// ---- Variant 2: weights transformed on the fly from the raw 3x3 taps, output channels in chunks of kc, so only the
// raw weights (9 floats per filter instead of 36) come from memory each run.
struct Own2 {
    Layer L;
    int kc;
    matmul mm;
    std::vector<float> wp;  // raw taps [K/16][C][9][16]
    std::vector<float> bias, scratch;
};
Own2 make_own2(const Layer& L, const std::vector<float>& g, const std::vector<float>& bias, int kc) {
    Own2 o{L, kc, {}, {}, bias, {}};
    memory::desc src = vdesc(L.tiles, L.c), w({36, L.c, kc}, dt::f32, tag::abc), dst = vdesc(L.tiles, kc);
    matmul::primitive_desc pd(matmul::desc(src, w, dst), eng);
    o.mm = matmul(pd);
    o.wp.resize((size_t)L.k * L.c * 9);
    for (int k = 0; k < L.k; ++k)
        for (int c = 0; c < L.c; ++c)
            for (int t = 0; t < 9; ++t)
                o.wp[(((size_t)(k / 16) * L.c + c) * 9 + t) * 16 + k % 16] = g[((size_t)k * L.c + c) * 9 + t];
    o.scratch.resize(36 * plane(L.tiles, L.c) + 36 * (size_t)L.c * kc + 36 * plane(L.tiles, kc) + 64);
    return o;
}
// U chunk [36][C][kc] for output channels [k0, k0 + kc).
void transform_chunk(const Own2& o, int k0, float* U) {
    const Layer& L = o.L;
    for (int kv = 0; kv < o.kc / 16; ++kv)
        for (int c = 0; c < L.c; ++c) {
            const float* w = &o.wp[(((size_t)(k0 / 16 + kv)) * L.c + c) * 9 * 16];
            v16 g[3][3], t[6][3];
            for (int i = 0; i < 9; ++i) g[i / 3][i % 3] = ld(w + i * 16);
            for (int j = 0; j < 3; ++j) {
                v16 a = g[0][j], b = g[1][j], cc = g[2][j];
                t[0][j] = a * 0.25f;
                t[1][j] = (a + b + cc) * (-1.0f / 6);
                t[2][j] = (a - b + cc) * (-1.0f / 6);
                t[3][j] = a * (1.0f / 24) + b * (1.0f / 12) + cc * (1.0f / 6);
                t[4][j] = a * (1.0f / 24) - b * (1.0f / 12) + cc * (1.0f / 6);
                t[5][j] = cc;
            }
            for (int i = 0; i < 6; ++i) {
                v16 a = t[i][0], b = t[i][1], cc = t[i][2], u[6];
                u[0] = a * 0.25f;
                u[1] = (a + b + cc) * (-1.0f / 6);
                u[2] = (a - b + cc) * (-1.0f / 6);
                u[3] = a * (1.0f / 24) + b * (1.0f / 12) + cc * (1.0f / 6);
                u[4] = a * (1.0f / 24) - b * (1.0f / 12) + cc * (1.0f / 6);
                u[5] = cc;
                for (int j = 0; j < 6; ++j) st(U + ((size_t)(i * 6 + j) * L.c + c) * o.kc + kv * 16, u[j]);
            }
        }
}
void run_own2(Own2& o, const float* x, float* y) {
    const Layer& L = o.L;
    float* V = o.scratch.data();
    float* U = V + 36 * plane(L.tiles, L.c);
    float* M = U + 36 * (size_t)L.c * o.kc;
    input_transform(L, x, V, L.tiles, 0, L.tiles);
    memory::desc src = vdesc(L.tiles, L.c), w({36, L.c, o.kc}, dt::f32, tag::abc), dst = vdesc(L.tiles, o.kc);
    memory ms(src, eng, V), mw(w, eng, U), md(dst, eng, M);
    for (int k0 = 0; k0 < L.k; k0 += o.kc) {
        transform_chunk(o, k0, U);
        o.mm.execute(strm, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, md}});
        output_transform(L, M, o.bias.data(), y, L.tiles, 0, L.tiles, o.kc, k0);
    }
}

// Pushes everything out of the caches a network's other layers would (streams 256 MB).
std::vector<float> evict_buf((size_t)64 << 20);
void evict() {
    for (size_t i = 0; i < evict_buf.size(); i += 16) evict_buf[i] += 1.0f;
}

// oneDNN's Winograd convolution (+ ReLU) in nChw16c: F(4,3) `jit_wino_4x3` or F(2,3) `jit_fp32_wino_2x3`.
Direct make_wino(const Layer& L, const std::vector<float>& g, const std::vector<float>& bias, bool f43) {
    memory::desc s({1, L.c, L.h, L.w}, dt::f32, tag::nChw16c), d({1, L.k, L.h, L.w}, dt::f32, tag::nChw16c),
        w({L.k, L.c, 3, 3}, dt::f32, tag::any), b({L.k}, dt::f32, tag::a);
    convolution_forward::desc cd(prop_kind::forward_inference, algorithm::convolution_winograd, s, w, b, d, {1, 1},
                                 {1, 1}, {1, 1});
    post_ops ops;
    ops.append_eltwise(1, algorithm::eltwise_relu, 0, 0);
    primitive_attr attr;
    attr.set_post_ops(ops);
    convolution_forward::primitive_desc pd(cd, attr, eng);
    while ((std::string(pd.impl_info_str()).find("4x3") != std::string::npos) != f43)
        if (!pd.next_impl()) throw std::runtime_error("no such Winograd implementation");
    Direct r{convolution_forward(pd), memory(pd.weights_desc(), eng), memory(b, eng), pd.impl_info_str(), s, d};
    memory plain(memory::desc({L.k, L.c, 3, 3}, dt::f32, tag::oihw), eng, const_cast<float*>(g.data()));
    reorder(plain, r.w).execute(strm, plain, r.w);
    std::memcpy(r.b.get_data_handle(), bias.data(), bias.size() * 4);
    strm.wait();
    return r;
}

int main() {
    const int chain = 4, reps = 30;
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0, 1);
    struct S {
        int c, h;
    } shapes[] = {{64, 56}, {128, 28}, {256, 14}, {512, 7}};
    for (auto [c, h] : shapes) {
        Layer L{c, c, h, h, (h + 3) / 4, (h + 3) / 4, 0};
        L.tiles = L.th * L.tw;
        std::vector<std::vector<float>> gs(chain), bs(chain);
        for (int i = 0; i < chain; ++i) {
            gs[i].resize((size_t)c * c * 9);
            for (float& v : gs[i]) v = nd(rng) * std::sqrt(2.0f / (c * 9));
            bs[i].resize(c);
            for (float& v : bs[i]) v = nd(rng) * 0.1f;
        }
        const size_t n = (size_t)h * h * c;
        std::vector<float> x0(n), a(n), b(n), ref(n);
        for (float& v : x0) v = std::fabs(nd(rng));
        // Direct NHWC chain (reference and timing).
        std::vector<Direct> dir;
        for (int i = 0; i < chain; ++i)
            dir.push_back(make_conv(L, gs[i], bs[i], algorithm::convolution_direct, tag::nhwc));
        auto run_direct = [&](std::vector<Direct>& cv, float* in, float* t0, float* t1) {
            float* cur = in;
            for (int i = 0; i < chain; ++i) {
                float* out = i % 2 == 0 ? t0 : t1;
                memory ms(cv[i].src, eng, cur), md(cv[i].dst, eng, out);
                cv[i].p.execute(
                    strm,
                    {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, cv[i].w}, {DNNL_ARG_BIAS, cv[i].b}, {DNNL_ARG_DST, md}});
                cur = out;
            }
            strm.wait();
            return cur;
        };
        std::vector<float> xin = x0;
        float* r = run_direct(dir, xin.data(), a.data(), b.data());
        std::memcpy(ref.data(), r, n * 4);
        float lo = 1e30f, hi = -1e30f;
        for (float v : ref) lo = std::min(lo, v), hi = std::max(hi, v);
        auto ms_direct = time_runs_ms([&] { run_direct(dir, xin.data(), a.data(), b.data()); }, reps);
        printf("%d@%d chain of %d: direct nhwc %.3f ms/conv (%s)\n", c, h, chain, ms_direct[reps / 4] / chain,
               dir[0].impl.c_str());
        for (bool f43 : {false, true}) {
            std::vector<Direct> wc;
            for (int i = 0; i < chain; ++i) wc.push_back(make_wino(L, gs[i], bs[i], f43));
            auto ms = time_runs_ms([&] { run_direct(wc, xin.data(), a.data(), b.data()); }, reps);
            printf("   onednn wino (nChw16c, no reorders) %.3f ms/conv (%s)\n", ms[reps / 4] / chain,
                   wc[0].impl.c_str());
        }
        {  // cold weights: each conv after evicting the caches, best quarter of reps
            auto cold = [&](auto&& one) {
                std::vector<double> ms;
                for (int r = 0; r < reps; ++r) {
                    evict();
                    auto t = time_runs_ms(one, 1);
                    ms.push_back(t[0]);
                }
                std::sort(ms.begin(), ms.end());
                return ms[reps / 4];
            };
            auto run1 = [&](Direct& d) {
                memory ms(d.src, eng, xin.data()), md(d.dst, eng, a.data());
                d.p.execute(strm,
                            {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, d.w}, {DNNL_ARG_BIAS, d.b}, {DNNL_ARG_DST, md}});
                strm.wait();
            };
            printf("   COLD direct %.3f", cold([&] { run1(dir[0]); }));
            for (bool f43 : {false, true}) {
                Direct d = make_wino(L, gs[0], bs[0], f43);
                printf(" | %s %.3f", f43 ? "F(4,3)" : "F(2,3)", cold([&] { run1(d); }));
            }
            Own o1 = make_own(L, gs[0], bs[0], L.tiles);
            printf(" | own pre-transformed %.3f", cold([&] { run_own(o1, xin.data(), a.data()); }));
            for (int kc : {16, 32, 64, 128}) {
                if (kc > c) continue;
                Own2 o2 = make_own2(L, gs[0], bs[0], kc);
                run_own2(o2, xin.data(), b.data());
                double err = 0;
                run1(dir[0]);
                for (size_t k = 0; k < n; ++k) err = std::max(err, (double)std::fabs(a[k] - b[k]));
                printf(" | own on-the-fly kc=%d %.3f (err %.1e)", kc, cold([&] { run_own2(o2, xin.data(), b.data()); }),
                       err / (hi - lo));
            }
            printf(" ms\n");
        }
        for (int nb : {1, 2, 4}) {
            const int tb = (L.tiles + nb - 1) / nb;
            if (tb < 4) continue;
            std::vector<Own> own;
            for (int i = 0; i < chain; ++i) own.push_back(make_own(L, gs[i], bs[i], tb));
            auto run = [&] {
                float* cur = xin.data();
                for (int i = 0; i < chain; ++i) {
                    float* out = i % 2 == 0 ? a.data() : b.data();
                    run_own(own[i], cur, out);
                    cur = out;
                }
                return cur;
            };
            float* o = run();
            double err = 0;
            for (size_t k = 0; k < n; ++k) err = std::max(err, (double)std::fabs(o[k] - ref[k]));
            auto ms = time_runs_ms(run, reps);
            printf("   own F(4,3) tb=%d: %.3f ms/conv, max err %.2e of range %.2f (%s)\n", tb, ms[reps / 4] / chain,
                   err / (hi - lo), hi - lo, own[0].impl.c_str());
            {  // phases of one conv, blocks in sequence
                Own& w = own[0];
                const int blocks = (L.tiles + tb - 1) / tb;
                float* V = w.scratch.data();
                float* M = V + 36 * plane(tb, L.c);
                const memory::desc src = vdesc(tb, L.c), dst = vdesc(tb, L.k);
                memory msrc(src, eng, V), mdst(dst, eng, M);
                auto ti = time_runs_ms(
                    [&] {
                        for (int b2 = 0; b2 < blocks; ++b2)
                            input_transform(L, xin.data(), V, tb, b2 * tb, std::min(L.tiles, b2 * tb + tb));
                    },
                    reps);
                auto tm = time_runs_ms(
                    [&] {
                        for (int b2 = 0; b2 < blocks; ++b2)
                            w.mm.execute(strm, {{DNNL_ARG_SRC, msrc}, {DNNL_ARG_WEIGHTS, w.U}, {DNNL_ARG_DST, mdst}});
                    },
                    reps);
                auto to = time_runs_ms(
                    [&] {
                        for (int b2 = 0; b2 < blocks; ++b2)
                            output_transform(L, M, w.bias.data(), a.data(), tb, b2 * tb,
                                             std::min(L.tiles, b2 * tb + tb));
                    },
                    reps);
                printf("      phases: input %.3f matmul %.3f (%.0f GFLOP/s) output %.3f\n", ti[reps / 4], tm[reps / 4],
                       2.0 * 36 * blocks * tb * L.c * L.k / tm[reps / 4] / 1e6, to[reps / 4]);
            }
        }
    }
}
