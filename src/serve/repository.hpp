// serve::Repository: the model repository folder (ROOT/NAME/VERSION/model.onnx, optional ROOT/NAME/config.json)
// and the ModelRunner of each loaded version. A model that fails to load is recorded with its reason.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"
#include "serve/model.hpp"

namespace edgeinfer::serve {

struct ModelState {
    std::string name;
    std::string version;  // "" for a model folder that has no loadable version
    std::string state;    // "READY", "UNAVAILABLE"
    std::string reason;   // why UNAVAILABLE
};

class Repository {
  public:
    explicit Repository(std::string root) : root_(std::move(root)) {}
    ~Repository();  // stop_all()

    // Checks that the root is a folder; kNotFound otherwise.
    Status check_root() const;
    // Loads every model folder under the root (failures recorded, not returned).
    void load_all();
    // (Re)loads every version of model `name`; the error also stays in index().
    Status load(const std::string& name);
    // Stops the model's versions (queued requests finish) and forgets them; kNotFound when not loaded.
    Status unload(const std::string& name);
    // Every model folder under the root and every loaded or failed model, sorted by name and version.
    std::vector<ModelState> index() const;
    // The ready runner of `name` at `version` ("" or absent: the highest ready version); kNotFound naming
    // the model (and version), kUnavailable-like kNotFound with the load error when it failed to load.
    Result<std::shared_ptr<ModelRunner>> find(const std::string& name, const std::string& version) const;
    // The versions of `name` that are ready, ascending.
    std::vector<std::shared_ptr<ModelRunner>> ready_versions(const std::string& name) const;
    // Every ready runner, for /metrics.
    std::vector<std::shared_ptr<ModelRunner>> all_ready() const;
    void stop_all();

  private:
    struct Entry {
        std::map<long long, std::shared_ptr<ModelRunner>> versions;
        std::string error;  // the last load's failure
    };
    std::string root_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry> models_;
};

}  // namespace edgeinfer::serve
