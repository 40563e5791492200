// uint8/int8 linear Resize in ONNX Runtime 1.30's arithmetic (see the header).
#include "kernels/cpu/resize_linear8.hpp"

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

// 8-bit linear in ONNX Runtime's arithmetic: out[plane][z][y][x] (or [n][y][x][c] in fixed point).
template <typename T>
void run(const Linear8Plan& p, const T* in, T* out, float extrapolation, bool extrapolate) {
    const bool tri = p.axes.size() == 3;
    const Linear8Axis no_axis{0, {0}, {0}, {1.0f}, {0.0f}, {1024}, {0}, {0}};
    const Linear8Axis& az = tri ? p.axes[0] : no_axis;
    const Linear8Axis& ay = p.axes[tri ? 1 : 0];
    const Linear8Axis& ax = p.axes[tri ? 2 : 1];
    const int64_t oz = static_cast<int64_t>(az.i1.size()), oy = static_cast<int64_t>(ay.i1.size()),
                  ox = static_cast<int64_t>(ax.i1.size());
    const int64_t out_plane = oz * oy * ox;
    const T fill = trunc_saturate<T>(extrapolation);
    parallel_for(
        p.outer * oz * oy,
        [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) {
                const int64_t y = r % oy, z = (r / oy) % oz, n = r / (oy * oz);
                const T* X = in + n * p.in_plane;
                T* Y = out + (n * out_plane + (z * oy + y) * ox) * p.channels;
                const bool row_out = extrapolate && (az.outside[z] || ay.outside[y]);
                const int64_t z1 = az.i1[z] * az.stride, z2 = az.i2[z] * az.stride;
                const int64_t y1 = ay.i1[y] * ay.stride, y2 = ay.i2[y] * ay.stride;
                for (int64_t x = 0; x < ox; ++x) {
                    T* dst = Y + x * p.channels;
                    if (row_out || (extrapolate && ax.outside[x])) {
                        std::fill(dst, dst + p.channels, fill);
                        continue;
                    }
                    const int64_t x1 = ax.i1[x] * ax.stride, x2 = ax.i2[x] * ax.stride;
                    if (p.fixed_point) {  // ORT: int32 products of the 10-bit weights, then / 2^20
                        const int32_t c11 = ax.d2_10[x] * ay.d2_10[y], c21 = ax.d1_10[x] * ay.d2_10[y];
                        const int32_t c12 = ax.d2_10[x] * ay.d1_10[y], c22 = ax.d1_10[x] * ay.d1_10[y];
                        for (int64_t c = 0; c < p.channels; ++c)
                            dst[c] = static_cast<T>(
                                (c11 * X[(y1 + x1) * p.channels + c] + c21 * X[(y1 + x2) * p.channels + c] +
                                 c12 * X[(y2 + x1) * p.channels + c] + c22 * X[(y2 + x2) * p.channels + c]) /
                                (1 << 20));
                    } else if (!tri) {
                        const float v = ax.d2[x] * ay.d2[y] * X[y1 + x1] + ax.d1[x] * ay.d2[y] * X[y1 + x2] +
                                        ax.d2[x] * ay.d1[y] * X[y2 + x1] + ax.d1[x] * ay.d1[y] * X[y2 + x2];
                        dst[0] = trunc_saturate<T>(v);
                    } else {
                        const float dx1 = ax.d1[x], dx2 = ax.d2[x], dy1 = ay.d1[y], dy2 = ay.d2[y];
                        const float dz1 = az.d1[z], dz2 = az.d2[z];
                        const float v = dx2 * dy2 * dz2 * X[z1 + y1 + x1] + dx1 * dy2 * dz2 * X[z1 + y1 + x2] +
                                        dx2 * dy1 * dz2 * X[z1 + y2 + x1] + dx1 * dy1 * dz2 * X[z1 + y2 + x2] +
                                        dx2 * dy2 * dz1 * X[z2 + y1 + x1] + dx1 * dy2 * dz1 * X[z2 + y1 + x2] +
                                        dx2 * dy1 * dz1 * X[z2 + y2 + x1] + dx1 * dy1 * dz1 * X[z2 + y2 + x2];
                        dst[0] = trunc_saturate<T>(v);
                    }
                }
            }
        },
        std::max<int64_t>(1, 4096 / std::max<int64_t>(1, ox * p.channels)));
}

}  // namespace

Linear8Axis linear8_axis(int64_t in, int64_t out, int64_t stride, const std::function<float(float)>& original) {
    Linear8Axis a;
    a.stride = stride;
    for (int64_t o = 0; o < out; ++o) {
        float x = original(static_cast<float>(o));
        a.outside.push_back(x < 0 || x > static_cast<float>(in - 1));
        x = std::max(0.0f, std::min(x, static_cast<float>(in - 1)));
        const int64_t i1 = std::min(static_cast<int64_t>(x), in - 1), i2 = std::min(i1 + 1, in - 1);
        const auto x10 = static_cast<int32_t>(x * (1 << 10));
        const bool same = i1 == i2;
        a.i1.push_back(i1);
        a.i2.push_back(i2);
        a.d1.push_back(same ? 0.5f : std::fabs(x - static_cast<float>(i1)));
        a.d2.push_back(same ? 0.5f : std::fabs(x - static_cast<float>(i2)));
        a.d1_10.push_back(same ? 512 : std::abs(x10 - static_cast<int32_t>(i1) * (1 << 10)));
        a.d2_10.push_back(same ? 512 : std::abs(x10 - static_cast<int32_t>(i2) * (1 << 10)));
    }
    return a;
}

void run_linear8(const Linear8Plan& p, const uint8_t* in, uint8_t* out, float extrapolation, bool extrapolate) {
    run(p, in, out, extrapolation, extrapolate);
}

void run_linear8(const Linear8Plan& p, const int8_t* in, int8_t* out, float extrapolation, bool extrapolate) {
    run(p, in, out, extrapolation, extrapolate);
}

}  // namespace edgeinfer::kernels::cpu
