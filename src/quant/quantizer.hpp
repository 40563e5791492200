// quant::quantize_model: post-training static quantization of a float32 model into standard QDQ
// ONNX (calibration by running the model, then QuantizeLinear/DequantizeLinear insertion).
#pragma once

#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::quant {

// How an activation's range is chosen from the calibration values.
//   minmax:     the observed minimum and maximum (0 always included);
//   percentile: the `percentile`-th and (100 - percentile)-th percentiles of all observed values;
//   entropy:    the clipping threshold minimizing the KL divergence between the 2048-bin histogram
//               and its 128-level quantization (TensorRT's calibrator), symmetric unless every
//               value is >= 0 (then [0, threshold]).
enum class CalibrationMethod { kMinMax, kPercentile, kEntropy };

Result<CalibrationMethod> parse_method(const std::string& name);

struct QuantizeOptions {
    CalibrationMethod method = CalibrationMethod::kMinMax;
    double percentile = 99.99;
    bool per_channel = false;          // int8 weight scales per output channel (opset >= 13)
    std::vector<std::string> exclude;  // node names kept in float32
    int num_threads = 0;               // calibration session threads (0: all cores)
};

struct QuantizeReport {
    int64_t quantized_nodes = 0;  // Conv/Gemm/MatMul nodes now reading DequantizeLinear values
    int64_t activations = 0;      // activation tensors given a QuantizeLinear/DequantizeLinear pair
    int64_t weights = 0;          // weights stored as int8
    int64_t samples = 0;          // calibration samples run
    std::vector<std::string> warnings;
};

// One calibration sample: a value for every runtime input of the model.
using Sample = std::vector<NamedTensor>;

// Quantizes `model` (float32; it is first optimized like `edgeinfer optimize -O extended`, so
// BatchNormalization is folded before the weights are quantized): every Conv, Gemm and MatMul
// with a constant float32 weight and not listed in `exclude` reads its input through
// QuantizeLinear(uint8, asymmetric) -> DequantizeLinear and its weight through
// DequantizeLinear(int8, symmetric, per tensor or per output channel); biases stay float32.
// Ranges come from running `samples`. Errors: no samples, unknown method or exclude names, a
// model with nothing to quantize, opset < 13 with per_channel (< 10 at all).
Result<ir::Model> quantize_model(ir::Model model, const std::vector<Sample>& samples, const QuantizeOptions& options,
                                 QuantizeReport* report = nullptr);

}  // namespace edgeinfer::quant
