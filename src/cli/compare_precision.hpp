// `edgeinfer compare MODEL --precision bf16|int8`: runs a model in fp32 and in a lower precision on
// the same inputs and reports how far the outputs move (error statistics, top-1/top-5 agreement for
// classifier scores, argmax agreement per pixel for segmentation maps) and the layers adding the
// most error, by node name, for `--keep-fp32` (bf16) or `edgeinfer quantize --exclude` (int8).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgeinfer::cli {

struct PrecisionCompareArgs {
    std::string model;                     // the float model (the fp32 reference)
    std::string precision;                 // "bf16" or "int8"
    std::string quantized;                 // int8: the QDQ model from `edgeinfer quantize`
    std::vector<std::string> data;         // --inputs: directories or files (.npy, .jpg, .png, .bmp)
    std::vector<std::string> input_files;  // -i NAME=FILE.npy (one sample)
    std::vector<std::string> shapes;       // NAME=DIMS for random inputs
    std::vector<std::string> keep_fp32;    // nodes of the lower-precision side kept in fp32
    uint32_t seed = 0;
    int samples = 0;        // at most N inputs from --inputs; without --inputs, N seeded random ones (0: 1)
    int layer_samples = 8;  // inputs the per-layer table is measured on (every value exposed: slower)
    int layers = 10;        // rows of the layer table printed (JSON has them all)
    int threads = 0;
    bool json = false;
};

// Prints the report (text or one JSON document). Exit code: 0 report printed, 1 error.
int run_precision_compare(const PrecisionCompareArgs& args);

}  // namespace edgeinfer::cli
