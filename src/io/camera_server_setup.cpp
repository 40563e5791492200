// io::camera_endpoint, io::reachable_endpoint and io::start_camera_server: how `edgeinfer
// camera-server` turns its flags into a listening server.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include "io/camera_server.hpp"

namespace edgeinfer::io {
namespace {

// The first IPv4 address of an interface that is up and not loopback ("" when none).
std::string host_address() {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return "";
    std::string found;
    for (ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !(a->ifa_flags & IFF_UP) ||
            (a->ifa_flags & IFF_LOOPBACK))
            continue;
        char text[INET_ADDRSTRLEN] = {};
        auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
        if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text))) found = text;
    }
    freeifaddrs(list);
    return found;
}

}  // namespace

Result<std::string> camera_endpoint(int port, bool ipc, const std::string& ipc_path, bool all_interfaces) {
    if (port < 0 || port > 65535) return invalid_argument("--port " + std::to_string(port) + " is outside 0..65535");
    if (ipc) return "ipc://" + (ipc_path.empty() ? "/tmp/edgeinfer-camera-" + std::to_string(port) : ipc_path);
    return std::string(all_interfaces ? "tcp://*:" : "tcp://127.0.0.1:") + std::to_string(port);
}

std::string reachable_endpoint(const std::string& endpoint) {
    if (endpoint.rfind("tcp://", 0) != 0) return endpoint;
    std::string host = host_address();
    auto colon = endpoint.rfind(':');
    if (host.empty() || colon == std::string::npos) return endpoint;
    return "tcp://" + host + endpoint.substr(colon);
}

Result<std::unique_ptr<CameraServer>> start_camera_server(const std::string& dataspec,
                                                          const SourceOptions& source_options,
                                                          const CameraServerOptions& options, Status* source_lost) {
    auto first = open_source(dataspec, source_options);
    if (!first.is_ok() && first.status().code() != StatusCode::kSourceLost) return first.status();
    if (!first.is_ok() && source_lost) *source_lost = first.status();
    auto pending = std::make_shared<std::unique_ptr<FrameSource>>(first.is_ok() ? std::move(first.value()) : nullptr);
    auto factory = [pending, dataspec, source_options]() -> Result<std::unique_ptr<FrameSource>> {
        if (*pending) return std::move(*pending);
        return open_source(dataspec, source_options);
    };
    return CameraServer::start(options, factory);
}

}  // namespace edgeinfer::io
