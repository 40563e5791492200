// serve::ImageModel: the "image" extension (docs/serve.md): a classifier with its vision sidecar takes
// encoded images (JPEG/PNG bytes in a BYTES input named "image") and answers typed results as JSON strings.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/vision.hpp"

namespace edgeinfer::serve {

class ImageModel {
  public:
    // `task`: "classify" (the one task so far). The sidecar is model.json next to the model when present.
    static Result<std::unique_ptr<ImageModel>> create(const std::string& model_path, const std::string& task);
    // True for a request with exactly one input, named "image", of BYTES.
    static bool is_image_request(const std::vector<NamedTensor>& inputs);
    // Decodes each element (pixel limit checked from the header first) and classifies the batch: output
    // "classification", BYTES [n], each {"top": [{"index", "label", "score"}, ...]}. kInvalidArgument naming the
    // element that does not decode.
    Result<std::vector<NamedTensor>> run(const NamedTensor& images);

  private:
    std::mutex mutex_;
    std::unique_ptr<Classifier> classifier_;
};

}  // namespace edgeinfer::serve
