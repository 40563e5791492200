// The operators whose schemas changed in opsets 18-21 (ONNX's Changelog), and which nodes of the newer
// versions the older kernels still compute correctly.
#include "kernels/schema_changes.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <vector>

namespace edgeinfer::kernels {
namespace {

using Check = std::function<std::string(const CreateContext&)>;

struct Change {
    int64_t version;
    Check same_as_before;  // "" when the node uses only what the older schema had
};

const std::multimap<std::string, Change>& changes() {
    // Empty since every opset 18-21 change is implemented by the kernels themselves (ScatterElements/ScatterND
    // max/min were the last); a future schema change whose new semantics a kernel lacks goes here.
    static const std::multimap<std::string, Change> table = {};
    return table;
}

}  // namespace

int64_t schema_change_version(const std::string& op_type, int64_t opset) {
    int64_t latest = 0;
    auto [begin, end] = changes().equal_range(op_type);
    for (auto it = begin; it != end; ++it)
        if (it->second.version <= opset) latest = std::max(latest, it->second.version);
    return latest;
}

std::string newer_schema_reason(const CreateContext& ctx) {
    auto [begin, end] = changes().equal_range(ctx.node.op_type);
    for (auto it = begin; it != end; ++it) {
        if (it->second.version > ctx.opset) continue;
        std::string why = it->second.same_as_before(ctx);
        if (!why.empty()) return why;
    }
    return "";
}

}  // namespace edgeinfer::kernels
