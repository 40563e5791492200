// Input files of the precision report (`compare --precision --inputs`) and calibration (`quantize --calib`): .npy
// tensors and images, images preprocessed as the model's sidecar says (else the vision commands' defaults).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "vision/preprocess.hpp"

namespace edgeinfer::tools {

// .jpg, .jpeg, .png or .bmp (any case).
bool is_image_file(const std::filesystem::path& p);

// The .npy files and images of each directory in `specs` (sorted), or the files given; `flag` names
// the option in errors (an empty directory, another kind of file, a missing path).
Result<std::vector<std::filesystem::path>> list_input_files(const std::vector<std::string>& specs,
                                                            const std::string& flag);

// Image `f` as a [1, C, H, W] (or NHWC) tensor for input `in` of `model`. `pre` is resolved from the
// model's sidecar on first use and reused for the next images. When the file does not decode as an image,
// the error says so and `*undecodable` (when given) is set.
Result<Tensor> read_image_input(const std::filesystem::path& f, const std::string& model, const ValueDescription& in,
                                std::optional<vision::ResolvedPreprocess>& pre, bool* undecodable = nullptr);

// One sample from a file: a .npy tensor (a missing batch dim added) or an image as read_image_input.
Result<Tensor> read_input_file(const std::filesystem::path& f, const std::string& model, const ValueDescription& in,
                               std::optional<vision::ResolvedPreprocess>& pre);

// Samples of batch 1 from one .npy file for input `in`: [N, ...] splits into N samples; rank one less
// than the input's gets a batch dim. Dtype and fixed dims are checked.
Status split_npy_samples(const std::filesystem::path& file, const ValueDescription& in,
                         std::vector<std::vector<NamedTensor>>& out);

}  // namespace edgeinfer::tools
