// `edgeinfer serve --model-repository DIR [--http-port 8000] [--grpc-port P] [--metrics-port P] [--threads N]
// [--address A]
// [--max-body-bytes B]`: serves a model repository over the KServe v2 protocol (docs/serve.md) until
// SIGINT/SIGTERM, then stops accepting, finishes the requests in flight and exits 0.
#include "edgeinfer/serve.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "cli/signals.hpp"

namespace edgeinfer::cli {
namespace {

int run_serve(const ServerOptions& options) {
    auto server = Server::start(options);
    if (!server.is_ok()) {
        std::cerr << "edgeinfer serve: " << server.status().to_string() << "\n";
        return 1;
    }
    Server* s = server.value().get();
    StopSignals signals([s] { s->stop(); });
    for (const ServedModel& m : s->models()) {
        std::cerr << "edgeinfer serve: model " << m.name << (m.version.empty() ? "" : " version " + m.version) << " "
                  << m.state << (m.reason.empty() ? "" : ": " + m.reason) << "\n";
    }
    std::cout << "listening on http://" << options.address << ":" << s->http_port();
    if (s->grpc_port() >= 0) std::cout << ", grpc on port " << s->grpc_port();
    if (s->metrics_port() >= 0) std::cout << ", metrics on port " << s->metrics_port();
    std::cout << std::endl;
    s->wait();
    std::cerr << "edgeinfer serve: stopped by " << signal_name(signals.received()) << "\n";
    return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int* exit_code) {
    auto options = std::make_shared<ServerOptions>();
    CLI::App* cmd = app.add_subcommand("serve", "Serve a model repository over the KServe v2 / Triton protocol");
    cmd->add_option("--model-repository", options->model_repository, "Folder of models: NAME/VERSION/model.onnx")
        ->required();
    cmd->add_option("--http-port", options->http_port, "HTTP port (0: any free port)")->capture_default_str();
    cmd->add_option("--grpc-port", options->grpc_port, "gRPC port (0: any free port; default: no gRPC)");
    cmd->add_option("--metrics-port", options->metrics_port,
                    "Port serving only /metrics (default: /metrics on the HTTP port only)");
    cmd->add_option("--address", options->address, "Address to listen on")->capture_default_str();
    cmd->add_option("-t,--threads", options->threads,
                    "Threads serving HTTP connections at once (inference threads: config.json `threads`)")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    cmd->add_option("--max-body-bytes", options->max_body_bytes, "Largest request body (bigger: HTTP 413)")
        ->capture_default_str();
    cmd->add_option("--read-timeout-ms", options->read_timeout_ms, "Drop a client silent this long")
        ->check(CLI::Range(1, 3600000))
        ->capture_default_str();
    cmd->callback([options, exit_code] { *exit_code = run_serve(*options); });
}

}  // namespace edgeinfer::cli
