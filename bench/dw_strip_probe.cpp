// Probe (issue 20, not built by CMake): MobileNetV2's expand 1x1 conv (+ReLU6) and the depthwise 3x3 conv (+ReLU6)
// that reads it, run one after the other on whole images (as edgeinfer runs them) against the two run in strips
// of output rows, so that the expanded tensor (6x the block's channels) never leaves the L2 cache: per strip the
// 1x1 conv computes only the expanded rows not already held (the depthwise halo rows stay in a rolling buffer)
// and the depthwise conv reads the buffer. Both as oneDNN primitives (NHWC; per strip geometry one primitive,
// cached). Warm: back-to-back runs; cold: 64 MB streamed through the caches before each run. Build and run:
//   g++ -O2 -std=c++20 bench/dw_strip_probe.cpp -o /tmp/dw_strip_probe -ldnnl
//   OMP_NUM_THREADS=1 /tmp/dw_strip_probe
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "probe_timing.hpp"
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
engine eng(engine::kind::cpu, 0);
stream strm(eng);

post_ops relu6() {
    post_ops p;
    p.append_eltwise(1, algorithm::eltwise_clip, 0, 6);
    return p;
}

struct Conv {
    primitive p;
    memory::desc src, dst;
    memory w;  // packed as the primitive wants
};
// A 1x1 or depthwise 3x3 (groups = channels) convolution on a rows x w NHWC image with the given vertical padding;
// `weights` plain (ohwi / goihw), packed into the layout oneDNN picks.
Conv make_conv(int cin, int cout, int rows, int w, int k, int s, int pt, int pb, bool dw, const float* weights) {
    const int pl = k / 2;
    const int oh = (rows + pt + pb - k) / s + 1, ow = (w + 2 * pl - k) / s + 1;
    memory::desc src({1, cin, rows, w}, dt::f32, tag::nhwc), dst({1, cout, oh, ow}, dt::f32, tag::nhwc);
    memory::desc plain = dw ? memory::desc({cout, 1, 1, k, k}, dt::f32, tag::goihw)
                            : memory::desc({cout, cin, k, k}, dt::f32, tag::ohwi);
    memory::desc wd(plain.dims(), dt::f32, tag::any);
    memory::desc bd({cout}, dt::f32, tag::a);
    convolution_forward::desc cd(prop_kind::forward_inference, algorithm::convolution_direct, src, wd, bd, dst, {s, s},
                                 {pt, pl}, {pb, pl});
    primitive_attr attr;
    attr.set_post_ops(relu6());
    convolution_forward::primitive_desc pd(cd, attr, eng);
    Conv c{convolution_forward(pd), src, dst, memory(pd.weights_desc(), eng)};
    memory from(plain, eng, const_cast<float*>(weights));
    reorder(from, c.w).execute(strm, from, c.w);
    strm.wait();
    return c;
}

std::vector<float> evict_buf((size_t)16 << 20);
void evict() {
    for (size_t i = 0; i < evict_buf.size(); i += 16) evict_buf[i] += 1.0f;
}

int main() {
    struct B {
        int cin, ce, h, s;
    } blocks[] = {{16, 96, 112, 2}, {24, 144, 56, 1}, {24, 144, 56, 2}, {32, 192, 28, 1},
                  {64, 384, 14, 1}, {96, 576, 14, 1}, {160, 960, 7, 1}};
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    auto fill = [&](std::vector<float>& v) {
        for (float& x : v) x = u(rng);
    };
    for (auto [cin, ce, h, s] : blocks) {
        const int w = h, oh = (h + 2 - 3) / s + 1;
        std::vector<float> x((size_t)h * w * cin), wa((size_t)ce * cin), ba(ce), wb((size_t)ce * 9), bb(ce),
            mid((size_t)h * w * ce), y((size_t)oh * oh * ce), y2(y.size());
        fill(x), fill(wa), fill(ba), fill(wb), fill(bb);
        auto mem = [](const memory::desc& d, const float* p) { return memory(d, eng, const_cast<float*>(p)); };
        memory::desc bd({ce}, dt::f32, tag::a);
        auto exec = [&](Conv& c, const float* in, const float* b, float* out) {
            c.p.execute(strm, {{DNNL_ARG_SRC, mem(c.src, in)},
                               {DNNL_ARG_WEIGHTS, c.w},
                               {DNNL_ARG_BIAS, mem(bd, b)},
                               {DNNL_ARG_DST, mem(c.dst, out)}});
        };
        // Whole images.
        Conv A = make_conv(cin, ce, h, w, 1, 1, 0, 0, false, wa.data());
        Conv Bc = make_conv(ce, ce, h, w, 3, s, 1, 1, true, wb.data());
        auto whole = [&] {
            exec(A, x.data(), ba.data(), mid.data());
            exec(Bc, mid.data(), bb.data(), y.data());
            strm.wait();
        };
        // Strips of R output rows through a rolling buffer of expanded rows.
        const size_t row = (size_t)w * ce;
        for (int R : {2, 4, 8}) {
            std::map<std::tuple<int, int, int>, Conv> dws;
            std::map<int, Conv> ones;
            std::vector<float> buf((size_t)(R * s + 2) * row);
            auto strips = [&] {
                int have_lo = 0, have_hi = 0;  // expanded rows [have_lo, have_hi) are at buf's start
                for (int o0 = 0; o0 < oh; o0 += R) {
                    const int r = std::min(R, oh - o0);
                    const int need_lo = std::max(0, o0 * s - 1), need_hi = std::min(h, (o0 + r - 1) * s + 2);
                    const int keep_lo = std::max(need_lo, have_lo), keep = std::max(0, have_hi - keep_lo);
                    if (keep > 0 && keep_lo != have_lo)
                        std::memmove(buf.data(), buf.data() + (size_t)(keep_lo - have_lo) * row, keep * row * 4);
                    const int from = keep > 0 ? have_hi : need_lo, n = need_hi - from;
                    if (n > 0) {
                        auto it = ones.find(n);
                        if (it == ones.end())
                            it = ones.emplace(n, make_conv(cin, ce, n, w, 1, 1, 0, 0, false, wa.data())).first;
                        exec(it->second, x.data() + (size_t)from * w * cin, ba.data(),
                             buf.data() + (size_t)(from - need_lo) * row);
                    }
                    have_lo = need_lo, have_hi = need_hi;
                    const int rows = need_hi - need_lo, pt = o0 * s - 1 < 0 ? 1 : 0;
                    int pb = 0;
                    while ((rows + pt + pb - 3) / s + 1 < r) ++pb;
                    auto key = std::make_tuple(rows, pt, pb);
                    auto jt = dws.find(key);
                    if (jt == dws.end())
                        jt = dws.emplace(key, make_conv(ce, ce, rows, w, 3, s, pt, pb, true, wb.data())).first;
                    exec(jt->second, buf.data(), bb.data(), y2.data() + (size_t)o0 * oh * ce);
                }
                strm.wait();
            };
            whole();
            strips();
            double err = 0;
            for (size_t i = 0; i < y.size(); ++i) err = std::max(err, (double)std::fabs(y[i] - y2[i]));
            auto warm = [&](auto&& f) { return time_runs_ms(f, 40)[10]; };
            auto cold = [&](auto&& f) {
                std::vector<double> ms;
                for (int k = 0; k < 30; ++k) {
                    evict();
                    ms.push_back(time_runs_ms(f, 1)[0]);
                }
                std::sort(ms.begin(), ms.end());
                return ms[7];
            };
            printf(
                "%3d->%3d @%3d s%d R=%d: whole warm %.3f cold %.3f | strips warm %.3f cold %.3f ms (max diff %.1e)\n",
                cin, ce, h, s, R, warm(whole), cold(whole), warm(strips), cold(strips), err);
        }
    }
}
