// uint8/int8 linear Resize in ONNX Runtime 1.30's arithmetic, for kernels/cpu/resize.cpp: per-axis float32
// coordinates and weights as ORT's SetupUpsampleBilinear/Trilinear build them, the 4 or 8 corner products summed
// in ORT's order and truncated toward zero (its static_cast), or its 10-bit fixed point for channels-last
// images (NhwcUpsampleBilinearInteger). ORT truncates, so an ulp of difference in the float sum could move a
// result by 1: the arithmetic is repeated rather than approximated.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace edgeinfer::kernels::cpu {

// One interpolated axis: for output coordinate o, input indices i1[o] and i2[o] (i2 = i1 + 1 but for the last
// index) weighed d2[o] and d1[o] (ORT's names: d1 is the distance to i1, so it weighs i2).
struct Linear8Axis {
    int64_t stride = 0;  // input elements between neighbours along the axis
    std::vector<int64_t> i1, i2;
    std::vector<float> d1, d2;
    std::vector<int32_t> d1_10, d2_10;  // the same in 10-bit fixed point
    std::vector<uint8_t> outside;       // the coordinate lies outside the input (tf_crop_and_resize)
};

// Bilinear (2 axes) or trilinear (3 axes, outermost first) over `outer` planes of `in_plane` input elements;
// `fixed_point`: channels-last bilinear, `channels` values per pixel. No axes: not one of ORT's layouts.
struct Linear8Plan {
    std::vector<Linear8Axis> axes;
    int64_t outer = 1;
    int64_t channels = 1;
    int64_t in_plane = 0;
    bool fixed_point = false;
};

// The axis for `in` input and `out` output coordinates; `original(o)` is ORT's float32 input coordinate of
// output coordinate o (o itself where the scale is 1).
Linear8Axis linear8_axis(int64_t in, int64_t out, int64_t stride, const std::function<float(float)>& original);

// Runs `p`; with `extrapolate` (tf_crop_and_resize) an output whose coordinate lies outside the input is
// `extrapolation`, truncated and saturated.
void run_linear8(const Linear8Plan& p, const uint8_t* in, uint8_t* out, float extrapolation, bool extrapolate);
void run_linear8(const Linear8Plan& p, const int8_t* in, int8_t* out, float extrapolation, bool extrapolate);

// Truncation toward zero saturated to T (static_cast for values in range); NaN gives 0.
template <typename T>
T trunc_saturate(float v) {
    constexpr float lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    return v != v ? T(0) : static_cast<T>(std::trunc(std::min(hi, std::max(lo, v))));
}

}  // namespace edgeinfer::kernels::cpu
