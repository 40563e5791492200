// serve::render_metrics: Prometheus text exposition of every ready model version's ModelStats, with Triton's
// metric names (nv_inference_*) and an edgeinfer batch-size histogram.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "serve/model.hpp"

namespace edgeinfer::serve {

std::string render_metrics(const std::vector<std::shared_ptr<ModelRunner>>& runners);

}  // namespace edgeinfer::serve
