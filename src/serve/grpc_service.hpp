// serve::GrpcFrontend: the KServe v2 gRPC service (proto/grpc_service.proto, package inference) over a
// Repository: health, metadata, ModelInfer with typed or raw contents, and the repository extension.
#pragma once

#include <memory>
#include <string>

#include "edgeinfer/status.hpp"
#include "serve/repository.hpp"

namespace edgeinfer::serve {

class GrpcFrontend {
  public:
    // Listens on address:port (0: any free port). kIoError naming address and port when it cannot bind.
    static Result<std::unique_ptr<GrpcFrontend>> start(Repository& repository, const std::string& address, int port,
                                                       size_t max_message_bytes);
    ~GrpcFrontend();
    int port() const;
    // Refuses new calls, finishes those in flight (waiting at most a few seconds), idempotent.
    void stop();

    class Impl;

  private:
    explicit GrpcFrontend(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace edgeinfer::serve
