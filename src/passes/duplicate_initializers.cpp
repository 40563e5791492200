// merge_duplicate_initializers.
#include "passes/duplicate_initializers.hpp"

#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

size_t content_hash(const Tensor& t) {
    size_t h = std::hash<std::string_view>()(std::string_view(static_cast<const char*>(t.data()), t.nbytes()));
    h ^= static_cast<size_t>(t.dtype()) * 0x9e3779b97f4a7c15ULL;
    for (int64_t d : t.dims()) h = h * 31 + static_cast<size_t>(d);
    return h;
}

bool same_content(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.dims() == b.dims() && std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

}  // namespace

bool merge_duplicate_initializers(ir::Model& model) {
    ir::Graph& g = model.graph;
    UseMap uses(g);
    std::unordered_map<size_t, std::vector<std::string>> by_hash;
    std::vector<std::string> merged;
    const std::vector<std::string> order = g.initializer_order;
    for (const std::string& name : order) {
        const Tensor& t = g.initializers.at(name);
        if (t.dtype() == DataType::kString || t.dtype() == DataType::kUndefined) continue;
        if (g.is_graph_input(name) || uses.is_graph_output(name) || uses.used_by_subgraph(name)) continue;
        auto& bucket = by_hash[content_hash(t)];
        const std::string* keep = nullptr;
        for (const std::string& other : bucket)
            if (same_content(g.initializers.at(other), t)) keep = &other;
        if (!keep) {
            bucket.push_back(name);
            continue;
        }
        replace_uses(g, name, *keep);
        merged.push_back(name);
    }
    for (const std::string& name : merged) g.remove_initializer(name);
    return !merged.empty();
}

}  // namespace edgeinfer::passes
