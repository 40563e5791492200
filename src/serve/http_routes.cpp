// The v2 REST routes. Paths follow the KServe Open Inference Protocol: /v2, /v2/health/{live,ready},
// /v2/models/NAME[/versions/V][/ready|/infer].
#include "serve/http_routes.hpp"

#include <nlohmann/json.hpp>

#include "serve/codec.hpp"
#include "serve/metrics.hpp"

namespace edgeinfer::serve {
namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";
constexpr const char* kModelPath = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";

void send_error(httplib::Response& res, int code, const std::string& message) {
    res.status = code;
    res.set_content(error_json(message), kJson);
}

void send_error(httplib::Response& res, const Status& s) { send_error(res, http_status(s), s.message()); }

std::string match(const httplib::Request& req, size_t i) { return req.matches.size() > i ? req.matches[i].str() : ""; }

json tensor_metadata(const std::vector<ValueDescription>& values) {
    json out = json::array();
    for (const ValueDescription& v : values) {
        std::string_view type = v2_datatype_name(v.dtype);
        out.push_back({{"name", v.name}, {"datatype", type.empty() ? dtype_name(v.dtype) : type}, {"shape", v.dims}});
    }
    return out;
}

void model_metadata(Repository& repo, const httplib::Request& req, httplib::Response& res) {
    std::string name = match(req, 1), version = match(req, 2);
    auto runner = repo.find(name, version);
    if (!runner.is_ok()) return send_error(res, runner.status());
    json versions = json::array();
    for (const auto& r : repo.ready_versions(name)) versions.push_back(r->version());
    json j = {{"name", name},
              {"versions", versions},
              {"platform", "edgeinfer_onnx"},
              {"inputs", tensor_metadata(runner.value()->inputs())},
              {"outputs", tensor_metadata(runner.value()->outputs())}};
    if (!version.empty()) j["versions"] = json::array({version});
    res.set_content(j.dump(), kJson);
}

std::optional<size_t> parse_size(const std::string& text) {
    if (text.empty() || text.size() > 18) return std::nullopt;
    size_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<size_t>(c - '0');
    }
    return v;
}

void infer(Repository& repo, const httplib::Request& req, httplib::Response& res) {
    std::string name = match(req, 1), version = match(req, 2);
    auto runner = repo.find(name, version);
    if (!runner.is_ok()) return send_error(res, runner.status());
    std::optional<size_t> header_length;
    if (req.has_header("Inference-Header-Content-Length")) {
        header_length = parse_size(req.get_header_value("Inference-Header-Content-Length"));
        if (!header_length) return send_error(res, 400, "Inference-Header-Content-Length is not a byte count");
    }
    auto request = parse_infer_request(req.body, header_length);
    if (!request.is_ok()) return send_error(res, request.status().with_context("model '" + name + "'"));
    ImageModel* image = runner.value()->image_model();
    auto outputs = image && ImageModel::is_image_request(request->inputs) ? image->run(request->inputs[0])
                                                                          : runner.value()->infer(request->inputs);
    if (!outputs.is_ok()) return send_error(res, outputs.status());
    auto encoded = encode_infer_response(name, runner.value()->version(), request.value(), outputs.value());
    if (!encoded.is_ok()) return send_error(res, 400, encoded.status().message());
    if (encoded->header_length) {
        res.set_header("Inference-Header-Content-Length", std::to_string(*encoded->header_length));
        res.set_content(std::move(encoded->body), "application/octet-stream");
    } else {
        res.set_content(std::move(encoded->body), kJson);
    }
}

// Model repository extension: index (optionally ready models only), load (or reload), unload.
void add_repository_routes(httplib::Server& server, Repository& repo) {
    server.Post("/v2/repository/index", [&repo](const httplib::Request& req, httplib::Response& res) {
        bool ready_only = false;
        if (!req.body.empty()) {
            json body = json::parse(req.body, nullptr, false);
            if (body.is_discarded() || !body.is_object())
                return send_error(res, 400, "malformed JSON in the request body");
            if (auto r = body.find("ready"); r != body.end()) {
                if (!r->is_boolean()) return send_error(res, 400, "'ready' is not a boolean");
                ready_only = r->get<bool>();
            }
        }
        json out = json::array();
        for (const ModelState& m : repo.index()) {
            if (ready_only && m.state != "READY") continue;
            json entry = {{"name", m.name}, {"state", m.state}};
            if (!m.version.empty()) entry["version"] = m.version;
            if (!m.reason.empty()) entry["reason"] = m.reason;
            out.push_back(std::move(entry));
        }
        res.set_content(out.dump(), kJson);
    });
    server.Post(R"(/v2/repository/models/([^/]+)/load)", [&repo](const httplib::Request& req, httplib::Response& res) {
        Status s = repo.load(match(req, 1));
        if (!s.is_ok()) return send_error(res, s.code() == StatusCode::kNotFound ? 404 : 400, s.message());
        res.set_content("{}", kJson);
    });
    server.Post(R"(/v2/repository/models/([^/]+)/unload)",
                [&repo](const httplib::Request& req, httplib::Response& res) {
                    Status s = repo.unload(match(req, 1));
                    if (!s.is_ok()) return send_error(res, s);
                    res.set_content("{}", kJson);
                });
}

}  // namespace

int http_status(const Status& s) {
    switch (s.code()) {
        case StatusCode::kOk:
            return 200;
        case StatusCode::kInvalidArgument:
        case StatusCode::kOutOfRange:
        case StatusCode::kUnsupported:
        case StatusCode::kInvalidModel:
            return 400;
        case StatusCode::kNotFound:
            return 404;
        case StatusCode::kResourceExhausted:
        case StatusCode::kCancelled:
            return 503;
        default:
            return 500;
    }
}

void add_http_routes(httplib::Server& server, Repository& repo) {
    server.Get("/v2/health/live", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
    server.Get("/v2/health/ready", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
    server.Get("/v2", [](const httplib::Request&, httplib::Response& res) {
        json j = {{"name", "edgeinfer"},
                  {"version", EDGEINFER_VERSION},
                  {"extensions", {"binary_tensor_data", "model_repository", "image"}}};
        res.set_content(j.dump(), kJson);
    });
    server.Get(std::string(kModelPath) + "/ready", [&repo](const httplib::Request& req, httplib::Response& res) {
        auto runner = repo.find(match(req, 1), match(req, 2));
        if (!runner.is_ok()) return send_error(res, runner.status());
        res.status = 200;
    });
    server.Get(kModelPath,
               [&repo](const httplib::Request& req, httplib::Response& res) { model_metadata(repo, req, res); });
    server.Post(std::string(kModelPath) + "/infer",
                [&repo](const httplib::Request& req, httplib::Response& res) { infer(repo, req, res); });
    add_repository_routes(server, repo);
    add_metrics_route(server, repo);
    // Errors httplib answers itself (413 body too large, 404 no route, 400 unparsable request) get a JSON body.
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        std::string what = res.status == 413   ? "request body exceeds the server's limit (--max-body-bytes)"
                           : res.status == 404 ? "no endpoint " + req.method + " " + req.path
                                               : "bad request";
        res.set_content(error_json(what), kJson);
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, 500, "internal error");
    });
}

void add_metrics_route(httplib::Server& server, Repository& repo) {
    server.Get("/metrics", [&repo](const httplib::Request&, httplib::Response& res) {
        res.set_content(render_metrics(repo.all_ready()), "text/plain; version=0.0.4");
    });
}

}  // namespace edgeinfer::serve
