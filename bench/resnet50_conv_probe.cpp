// Probe (issue 20, not built by CMake): resnet50's convolutions one primitive at a time, in the layouts and
// fusions edgeinfer could use, timed by the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) so that other
// processes on a loaded machine change the result less than wall clock would. Each shape runs as
//   nhwc      X/Y NHWC (what edgeinfer's channels-last regions run today: brgconv / brgconv_1x1)
//   blocked   X/Y nChw16c (oneDNN's blocked jit code, jit_avx512_core_1x1 for 1x1; what ORT's NCHWc does)
// and, for a block's last 1x1 conv (residual Add + ReLU), with the residual added by
//   sum       copy Z into Y, then a sum post-op (edgeinfer before in-place Z: the copy is timed with the conv)
//   inplace   a sum post-op on Y = Z's own buffer (no copy: the plan gives Y the bytes of Z, Z's last reader)
//   binary    a binary_add post-op reading Z in place (no copy)
// Prints, per shape, every non-reference implementation oneDNN offers for each variant (the first is what
// oneDNN picks) and the lower quartile of 40 runs in CPU ms; then resnet50's total per variant (first
// implementation, times the number of such convs in resnet50). Build and run:
//   g++ -O2 -std=c++20 bench/resnet50_conv_probe.cpp -o /tmp/resnet50_conv_probe -ldnnl
//   OMP_NUM_THREADS=1 /tmp/resnet50_conv_probe [all] [cold]
// all: every implementation, not only the first; cold: 64 MB are written before each timed run so that weights
// and activations come from memory, as in the network, where each layer's weights were last read a run ago.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

engine eng(engine::kind::cpu, 0);
stream strm(eng);

double cpu_ms() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

struct Shape {
    const char* name;
    int count;  // such convs in resnet50
    int ic, oc, h, k, s;
    bool relu, residual;
};

// resnet50 (torchvision, stride on the 3x3): every conv shape, batch 1.
const Shape kShapes[] = {
    {"conv1 7x7 s2", 1, 3, 64, 224, 7, 2, true, false},
    {"l1 64->64 1x1", 1, 64, 64, 56, 1, 1, true, false},
    {"l1 256->64 1x1", 2, 256, 64, 56, 1, 1, true, false},
    {"l1 3x3 64", 3, 64, 64, 56, 3, 1, true, false},
    {"l1 64->256 1x1 +Z", 3, 64, 256, 56, 1, 1, true, true},
    {"l1 ds 64->256", 1, 64, 256, 56, 1, 1, false, false},
    {"l2 256->128 @56", 1, 256, 128, 56, 1, 1, true, false},
    {"l2 3x3 128 s2", 1, 128, 128, 56, 3, 2, true, false},
    {"l2 512->128 1x1", 3, 512, 128, 28, 1, 1, true, false},
    {"l2 3x3 128", 3, 128, 128, 28, 3, 1, true, false},
    {"l2 128->512 1x1 +Z", 4, 128, 512, 28, 1, 1, true, true},
    {"l2 ds 256->512 s2", 1, 256, 512, 56, 1, 2, false, false},
    {"l3 512->256 @28", 1, 512, 256, 28, 1, 1, true, false},
    {"l3 3x3 256 s2", 1, 256, 256, 28, 3, 2, true, false},
    {"l3 1024->256 1x1", 5, 1024, 256, 14, 1, 1, true, false},
    {"l3 3x3 256", 5, 256, 256, 14, 3, 1, true, false},
    {"l3 256->1024 1x1 +Z", 6, 256, 1024, 14, 1, 1, true, true},
    {"l3 ds 512->1024 s2", 1, 512, 1024, 28, 1, 2, false, false},
    {"l4 1024->512 @14", 1, 1024, 512, 14, 1, 1, true, false},
    {"l4 3x3 512 s2", 1, 512, 512, 14, 3, 2, true, false},
    {"l4 2048->512 1x1", 2, 2048, 512, 7, 1, 1, true, false},
    {"l4 3x3 512", 2, 512, 512, 7, 3, 1, true, false},
    {"l4 512->2048 1x1 +Z", 3, 512, 2048, 7, 1, 1, true, true},
    {"l4 ds 1024->2048 s2", 1, 1024, 2048, 14, 1, 2, false, false},
};

void fill(memory& m, float v) {
    float* p = static_cast<float*>(m.get_data_handle());
    size_t n = m.get_desc().get_size() / sizeof(float);
    for (size_t i = 0; i < n; ++i) p[i] = v * static_cast<float>((i * 2654435761u) % 1000) / 1000.0f;
}

bool g_cold = false;
std::vector<char> g_flush;

// Evicts the caches (cold mode): writes and reads a buffer larger than L2 and the L3 share of one core.
void flush_caches() {
    if (!g_cold) return;
    if (g_flush.empty()) g_flush.resize(64u << 20);
    volatile char sink = 0;
    for (size_t i = 0; i < g_flush.size(); i += 64) g_flush[i] = static_cast<char>(g_flush[i] + 1);
    for (size_t i = 0; i < g_flush.size(); i += 4096) sink = static_cast<char>(sink + g_flush[i]);
}

enum class Residual { kNone, kSum, kInPlace, kBinary };

// Lower quartile of `reps` timed runs (CPU ms of this thread), after one warm-up run.
double time_conv(const convolution_forward::primitive_desc& pd, const memory::desc& bias_md, Residual res) {
    convolution_forward p(pd);
    memory src(pd.src_desc(), eng), wei(pd.weights_desc(), eng), dst(pd.dst_desc(), eng), bias(bias_md, eng);
    memory z(pd.dst_desc(), eng);
    fill(src, 1.0f);
    fill(wei, 0.01f);
    fill(bias, 0.1f);
    fill(z, 0.5f);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}};
    if (res == Residual::kBinary) args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = z;
    const size_t bytes = pd.dst_desc().get_size();
    if (res == Residual::kInPlace) std::memcpy(dst.get_data_handle(), z.get_data_handle(), bytes);
    auto once = [&]() {
        if (res == Residual::kSum) std::memcpy(dst.get_data_handle(), z.get_data_handle(), bytes);
        p.execute(strm, args);
        strm.wait();
    };
    once();
    std::vector<double> v;
    for (int r = 0; r < 40; ++r) {
        flush_caches();
        double t0 = cpu_ms();
        once();
        v.push_back(cpu_ms() - t0);
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 4];
}

}  // namespace

int main(int argc, char** argv) {
    bool all = false;
    for (int i = 1; i < argc; ++i) {
        all = all || std::strcmp(argv[i], "all") == 0;
        g_cold = g_cold || std::strcmp(argv[i], "cold") == 0;
    }
    std::map<std::string, double> totals;
    for (const Shape& s : kShapes) {
        const int pad = s.k / 2;
        const int oh = (s.h + 2 * pad - s.k) / s.s + 1;
        for (tag t : {tag::nhwc, tag::nChw16c}) {
            if (t == tag::nChw16c && s.ic % 16 != 0) continue;
            for (Residual res : {Residual::kNone, Residual::kSum, Residual::kInPlace, Residual::kBinary}) {
                if ((res != Residual::kNone) != s.residual) continue;
                memory::desc src({1, s.ic, s.h, s.h}, dt::f32, t), dst({1, s.oc, oh, oh}, dt::f32, t);
                memory::desc w({s.oc, s.ic, s.k, s.k}, dt::f32, tag::any), b({s.oc}, dt::f32, tag::a);
                convolution_forward::desc cd(prop_kind::forward_inference, algorithm::convolution_direct, src, w, b,
                                             dst, {s.s, s.s}, {pad, pad}, {pad, pad});
                post_ops ops;
                if (res == Residual::kSum || res == Residual::kInPlace) ops.append_sum(1.0f);
                if (res == Residual::kBinary) ops.append_binary(algorithm::binary_add, dst);
                if (s.relu) ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
                primitive_attr attr;
                attr.set_post_ops(ops);
                std::string variant =
                    std::string(t == tag::nhwc ? "nhwc" : "blocked") + (res == Residual::kSum       ? "+sum"
                                                                        : res == Residual::kInPlace ? "+inplace"
                                                                        : res == Residual::kBinary  ? "+binary"
                                                                                                    : "");
                std::string key =
                    std::string(t == tag::nhwc ? "nhwc" : "blocked") + (res == Residual::kBinary    ? " binary"
                                                                        : res == Residual::kInPlace ? " inplace"
                                                                                                    : "");
                try {
                    convolution_forward::primitive_desc pd(cd, attr, eng);
                    bool first = true;
                    do {
                        std::string impl = pd.impl_info_str();
                        if (impl.rfind("ref", 0) == 0) continue;
                        double ms = time_conv(pd, b, res);
                        std::printf("%-22s %-16s %-32s %8.3f ms%s\n", s.name, variant.c_str(), impl.c_str(), ms,
                                    first ? "" : "  (not first)");
                        if (first) totals[key] += ms * s.count;
                        first = false;
                    } while (all && pd.next_impl());
                } catch (const dnnl::error& e) {
                    std::printf("%-22s %-16s unavailable: %s\n", s.name, variant.c_str(), e.what());
                }
            }
        }
        std::fflush(stdout);
    }
    std::printf(
        "\nresnet50 convs, first implementation x count (nhwc/blocked: the residual convs with sum; "
        "'inplace'/'binary': the residual convs only; blocked counts the 7x7 conv1 as nhwc):\n");
    for (const auto& [k, v] : totals) std::printf("  %-16s %8.3f ms\n", k.c_str(), v);
}
