// runtime::BodyCompiler: compiles If/Loop bodies for control-flow kernels (kernels::SubgraphCompiler).
#pragma once

#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"
#include "kernels/subgraph.hpp"

namespace edgeinfer::runtime {

class BodyCompiler : public kernels::SubgraphCompiler {
public:
    BodyCompiler(const std::vector<ir::OpsetId>& opsets, const SessionOptions& options)
        : opsets_(opsets), options_(options) {}
    Result<std::unique_ptr<kernels::Subgraph>> compile(const ir::Graph& body, const std::vector<std::string>& outer_names,
                                                       const std::vector<DataType>& outer_types,
                                                       const std::string& label) const override;

private:
    const std::vector<ir::OpsetId>& opsets_;
    const SessionOptions& options_;
};

}  // namespace edgeinfer::runtime
