// `edgeinfer compare A.onnx --ref opencv`: reference values computed by OpenCV DNN (the default
// backend, layer fusion off so each layer's output is kept under its ONNX value name).
#include "tools/opencv_reference.hpp"

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>
#include <set>

#include "base/status.hpp"
#include "model/onnx_model.hpp"
#include "passes/noop_elimination.hpp"

namespace edgeinfer::tools {

Result<std::map<std::string, Tensor>> opencv_reference(const ir::Model& model, const std::vector<NamedTensor>& inputs) {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    ir::Model copy = model;
    passes::eliminate_noops(copy);
    EDGEINFER_ASSIGN_OR_RETURN(std::string bytes, model::serialize_model(copy));
    const std::string model_path = model.source_path.empty() ? "<model>" : model.source_path;
    std::map<std::string, Tensor> out;
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        net.enableFusion(false);
        for (const NamedTensor& in : inputs) {
            if (in.tensor.dtype() != DataType::kFloat32)
                return unsupported("--ref opencv: input '" + in.name + "' is " +
                                   std::string(dtype_name(in.tensor.dtype())) + "; OpenCV DNN takes float32 inputs");
            std::vector<int> sizes(in.tensor.dims().begin(), in.tensor.dims().end());
            cv::Mat blob(static_cast<int>(sizes.size()), sizes.data(), CV_32F, const_cast<void*>(in.tensor.data()));
            net.setInput(blob.clone(), in.name);
        }
        std::vector<std::string> layers = net.getLayerNames();
        std::set<std::string> known(layers.begin(), layers.end());
        std::vector<cv::String> names;
        std::vector<std::string> values;
        for (const ir::Node& n : copy.graph.nodes) {
            if (n.outputs.empty() || n.outputs[0].empty()) continue;
            for (const std::string& layer : {"onnx_node!" + n.name, n.name, n.outputs[0]}) {
                if (!layer.empty() && known.count(layer)) {
                    names.push_back(layer);
                    values.push_back(n.outputs[0]);
                    break;
                }
            }
        }
        if (names.empty())
            return invalid_argument("--ref opencv: OpenCV DNN exposes none of the model's values by name");
        std::vector<cv::Mat> blobs;
        net.forward(blobs, names);
        for (size_t i = 0; i < names.size() && i < blobs.size(); ++i) {
            cv::Mat m = blobs[i].isContinuous() ? blobs[i] : blobs[i].clone();
            if (m.depth() != CV_32F) m.convertTo(m, CV_32F);
            std::vector<int64_t> dims;
            for (int d = 0; d < m.dims; ++d) dims.push_back(m.size[d]);
            out[values[i]] = Tensor::copy_of(DataType::kFloat32, dims, m.data);
        }
    } catch (const cv::Exception& e) {
        return unsupported("--ref opencv: OpenCV DNN cannot run " + model_path + ": " + e.msg);
    }
    return out;
}

}  // namespace edgeinfer::tools
