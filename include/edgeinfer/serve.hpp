// edgeinfer::Server and ServerOptions: a model server speaking the KServe v2 / Triton inference protocol
// (docs/serve.md) over HTTP and gRPC for the models of a repository folder (NAME/VERSION/model.onnx).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"

namespace edgeinfer {

struct ServerOptions {
    std::string model_repository;  // folder of model folders (docs/serve.md, "Repository layout")
    std::string address = "127.0.0.1";
    int http_port = 8000;               // 0: any free port (Server::http_port says which)
    int grpc_port = -1;                 // -1: no gRPC service; 0: any free port
    int metrics_port = -1;              // -1: /metrics only on the HTTP port; 0: any free port
    int threads = 8;                    // HTTP connections served at once
    size_t max_body_bytes = 64u << 20;  // larger request bodies get HTTP 413 (gRPC: RESOURCE_EXHAUSTED)
    int read_timeout_ms = 5000;         // a client that sends nothing for this long is dropped
};

// One model version of the repository, or a model folder that failed to load.
struct ServedModel {
    std::string name;
    std::string version;  // "" when no version loaded
    std::string state;    // "READY" or "UNAVAILABLE"
    std::string reason;   // why UNAVAILABLE
};

class Server {
  public:
    // Loads the repository's models (a model that fails to load is listed with its reason, and does not
    // stop the server), binds the ports and starts serving. Errors: the repository is not a folder
    // (kNotFound), a port cannot be bound (kIoError naming address and port).
    static Result<std::unique_ptr<Server>> start(const ServerOptions& options);
    ~Server();  // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    int http_port() const;
    int grpc_port() const;     // -1 without gRPC
    int metrics_port() const;  // -1 when metrics are only on the HTTP port
    std::vector<ServedModel> models() const;

    // Stops accepting connections, finishes the requests in flight, stops the models. Idempotent and
    // safe from any thread (a signal watcher, for example).
    void stop();
    // Blocks until stop() has finished.
    void wait();

    class Impl;

  private:
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace edgeinfer
