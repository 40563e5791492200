// edgeinfer::Server: a Repository, the HTTP listener (and an optional metrics-only listener) each on its own
// thread, and an orderly stop: listeners first (httplib finishes the connections in flight), then the models.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "edgeinfer/serve.hpp"
#include "serve/grpc_service.hpp"
#include "serve/http_routes.hpp"
#include "serve/repository.hpp"

namespace edgeinfer {

class Server::Impl {
  public:
    ServerOptions options;
    std::unique_ptr<serve::Repository> repository;
    httplib::Server http;
    httplib::Server metrics;
    std::unique_ptr<serve::GrpcFrontend> grpc;
    bool has_metrics = false;
    int http_port = -1, metrics_port = -1;
    std::thread http_thread, metrics_thread;
    std::atomic<bool> http_done{false}, metrics_done{false};  // set when a listener's thread returns
    std::mutex mutex;
    std::condition_variable stopped_cv;
    bool stopping = false, stopped = false;

    Status bind(httplib::Server& s, int port, int* bound) {
        int threads = std::max(1, options.threads);
        s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
        s.set_payload_max_length(options.max_body_bytes);
        s.set_read_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
        s.set_write_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
        s.set_tcp_nodelay(true);
        // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which lets a second server take the same
        // port silently.
        s.set_socket_options([](socket_t sock) {
            int yes = 1;
            setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
        });
        if (port == 0) {
            *bound = s.bind_to_any_port(options.address);
            if (*bound < 0) return io_error("cannot bind " + options.address + " (any port)");
        } else {
            if (!s.bind_to_port(options.address, port))
                return io_error("cannot bind " + options.address + ":" + std::to_string(port) + " (in use?)");
            *bound = port;
        }
        return Status::ok();
    }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->repository = std::make_unique<serve::Repository>(options.model_repository);
    Status s = impl->repository->check_root();
    if (!s.is_ok()) return s;
    if (options.http_port < 0 || options.http_port > 65535)
        return invalid_argument("HTTP port " + std::to_string(options.http_port) + " is outside 0..65535");
    impl->repository->load_all();
    serve::add_http_routes(impl->http, *impl->repository);
    s = impl->bind(impl->http, options.http_port, &impl->http_port);
    if (!s.is_ok()) return s.with_context("HTTP");
    if (options.metrics_port >= 0) {
        serve::add_metrics_route(impl->metrics, *impl->repository);
        s = impl->bind(impl->metrics, options.metrics_port, &impl->metrics_port);
        if (!s.is_ok()) return s.with_context("metrics");
        impl->has_metrics = true;
    }
    if (options.grpc_port >= 0) {
        auto grpc =
            serve::GrpcFrontend::start(*impl->repository, options.address, options.grpc_port, options.max_body_bytes);
        if (!grpc.is_ok()) return grpc.status();
        impl->grpc = std::move(grpc.value());
    }
    Impl* p = impl.get();
    p->http_thread = std::thread([p] {
        p->http.listen_after_bind();
        p->http_done = true;
    });
    if (p->has_metrics)
        p->metrics_thread = std::thread([p] {
            p->metrics.listen_after_bind();
            p->metrics_done = true;
        });
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::~Server() { stop(); }

namespace {
// httplib's stop() acts only once listen has started (is_running); a stop right after create could come before
// the listener thread gets there and leave it blocked in accept for ever, so wait for it to start (or return).
void stop_listener(httplib::Server& s, const std::atomic<bool>& done) {
    while (!s.is_running() && !done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    s.stop();
}
}  // namespace

int Server::http_port() const { return impl_->http_port; }
int Server::grpc_port() const { return impl_->grpc ? impl_->grpc->port() : -1; }
int Server::metrics_port() const { return impl_->metrics_port; }

std::vector<ServedModel> Server::models() const {
    std::vector<ServedModel> out;
    for (const serve::ModelState& m : impl_->repository->index()) out.push_back({m.name, m.version, m.state, m.reason});
    return out;
}

void Server::stop() {
    {
        std::unique_lock<std::mutex> lock(impl_->mutex);
        if (impl_->stopping) {
            impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
            return;
        }
        impl_->stopping = true;
    }
    // httplib's stop closes the listening socket; listen_after_bind returns once the connections in flight
    // are answered (its thread pool joins its workers).
    stop_listener(impl_->http, impl_->http_done);
    if (impl_->has_metrics) stop_listener(impl_->metrics, impl_->metrics_done);
    if (impl_->http_thread.joinable()) impl_->http_thread.join();
    if (impl_->metrics_thread.joinable()) impl_->metrics_thread.join();
    if (impl_->grpc) impl_->grpc->stop();
    impl_->repository->stop_all();
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->stopped = true;
    }
    impl_->stopped_cv.notify_all();
}

void Server::wait() {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
}

}  // namespace edgeinfer
