// The `custom` element: user code from a shared library behind the C ABI of edgeinfer_element.h.
#include <dlfcn.h>

#include <cstdlib>

#include "base/status.hpp"
#include "edgeinfer_element.h"
#include "pipeline/runtime.hpp"

namespace edgeinfer::pipeline {
namespace {

class CustomElement final : public Element {
  public:
    ~CustomElement() override {
        if (state_ && destroy_) destroy_(state_);
        if (handle_) dlclose(handle_);
    }

    Status open(const ElementConfig& e) {
        name_ = e.name;
        const std::string where = e.path + ": custom element \"" + e.name + "\": " + e.custom.library.string();
        handle_ = dlopen(e.custom.library.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle_) return invalid_argument(where + ": cannot load: " + std::string(dlerror()));
        auto sym = [&](const char* name) { return dlsym(handle_, name); };
        auto version = reinterpret_cast<edgeinfer_element_abi_version_fn>(sym("edgeinfer_element_abi_version"));
        auto create = reinterpret_cast<edgeinfer_element_create_fn>(sym("edgeinfer_element_create"));
        process_ = reinterpret_cast<edgeinfer_element_process_fn>(sym("edgeinfer_element_process"));
        destroy_ = reinterpret_cast<edgeinfer_element_destroy_fn>(sym("edgeinfer_element_destroy"));
        std::string missing;
        if (!version) missing += " edgeinfer_element_abi_version";
        if (!create) missing += " edgeinfer_element_create";
        if (!process_) missing += " edgeinfer_element_process";
        if (!destroy_) missing += " edgeinfer_element_destroy";
        if (!missing.empty())
            return invalid_argument(where + ": does not export" + missing + " (see edgeinfer_element.h)");
        if (version() != EDGEINFER_ELEMENT_ABI_VERSION)
            return unsupported(where + ": built for element ABI " + std::to_string(version()) +
                               ", this edgeinfer has " + std::to_string(EDGEINFER_ELEMENT_ABI_VERSION));
        char error[512] = {};
        state_ = create(e.custom.config.dump().c_str(), error, sizeof(error) - 1);
        if (!state_)
            return invalid_argument(where + ": create failed: " + (error[0] ? std::string(error) : "no reason given"));
        for (const auto& [key, spec] : e.custom.produces) produces_[key] = spec.second == "number";
        return Status::ok();
    }

    Status process(PipelineFrame& f) override {
        const cv::Mat& img = f.frame.image;
        edgeinfer_element_frame frame{img.data,
                                      img.cols,
                                      img.rows,
                                      img.channels(),
                                      img.step[0],
                                      f.meta.source_id.c_str(),
                                      f.meta.frame_number,
                                      f.meta.timestamp_us};
        const std::string metadata = to_json(f.meta).dump();
        char* result = nullptr;
        const int rc = process_(state_, &frame, metadata.c_str(), &result);
        std::string text = result ? result : "";
        std::free(result);
        if (rc != 0)
            return internal_error("custom element " + name_ + " returned " + std::to_string(rc) +
                                  (text.empty() ? "" : ": " + text));
        if (text.empty()) return Status::ok();
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            return invalid_argument("custom element " + name_ + ": result is not JSON: " + e.what());
        }
        if (!j.is_object()) return invalid_argument("custom element " + name_ + ": result is not a JSON object");
        if (j.contains("frame")) EDGEINFER_RETURN_IF_ERROR(merge(j["frame"], f.meta.attributes, "frame"));
        if (j.contains("objects")) {
            const auto& objs = j["objects"];
            if (!objs.is_array() || objs.size() > f.meta.objects.size())
                return invalid_argument("custom element " + name_ + ": \"objects\" must be an array of at most " +
                                        std::to_string(f.meta.objects.size()) + " entries, one per input object");
            for (size_t i = 0; i < objs.size(); ++i)
                EDGEINFER_RETURN_IF_ERROR(merge(objs[i], f.meta.objects[i].attributes, "objects/" + std::to_string(i)));
        }
        return Status::ok();
    }

  private:
    Status merge(const nlohmann::json& values, std::map<std::string, Value>& into, const std::string& where) {
        if (!values.is_object())
            return invalid_argument("custom element " + name_ + ": /" + where + " is not an object");
        for (const auto& [k, v] : values.items()) {
            auto declared = produces_.find(k);
            if (v.is_number()) {
                if (declared != produces_.end() && !declared->second)
                    return invalid_argument("custom element " + name_ + ": /" + where + "/" + k +
                                            " declared a string, got " + v.dump());
                into[k] = v.get<double>();
            } else if (v.is_string()) {
                if (declared != produces_.end() && declared->second)
                    return invalid_argument("custom element " + name_ + ": /" + where + "/" + k +
                                            " declared a number, got " + v.dump());
                into[k] = v.get<std::string>();
            } else {
                return invalid_argument("custom element " + name_ + ": /" + where + "/" + k +
                                        " must be a number or a string, got " + v.dump());
            }
        }
        return Status::ok();
    }

    std::string name_;
    void* handle_ = nullptr;
    void* state_ = nullptr;
    edgeinfer_element_process_fn process_ = nullptr;
    edgeinfer_element_destroy_fn destroy_ = nullptr;
    std::map<std::string, bool> produces_;  // key -> is a number
};

}  // namespace

Result<std::unique_ptr<Element>> make_custom_element(const ElementConfig& element) {
    auto e = std::make_unique<CustomElement>();
    if (Status s = e->open(element); !s.is_ok()) return s;
    return std::unique_ptr<Element>(std::move(e));
}

}  // namespace edgeinfer::pipeline
