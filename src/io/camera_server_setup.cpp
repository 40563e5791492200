// io::camera_endpoint, io::reachable_endpoint and io::start_camera_server: how `edgeinfer
// camera-server` turns its flags into a listening server.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/status.hpp"
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

Result<std::string> private_ipc_dir() {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    const std::string dir = runtime != nullptr && runtime[0] == '/' ? std::string(runtime) + "/edgeinfer"
                                                                    : "/tmp/edgeinfer-" + std::to_string(::getuid());
    auto denied = [&](const std::string& why) {
        return Status(StatusCode::kIoError,
                      "ipc socket folder '" + dir + "': " + why + " (give a path of your own with --ipc-path)");
    };
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return denied(std::string("cannot create it: ") + std::strerror(errno));
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return denied(std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) return denied("exists and is not a folder");
    if (st.st_uid != ::getuid()) return denied("belongs to user " + std::to_string(st.st_uid) + ", not to this one");
    if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0)
        return denied(std::string("cannot make it private (mode 0700): ") + std::strerror(errno));
    return dir;
}

Result<std::string> camera_endpoint(int port, bool ipc, const std::string& ipc_path, bool all_interfaces,
                                    const std::string& bind_address) {
    if (port < 0 || port > 65535) return invalid_argument("--port " + std::to_string(port) + " is outside 0..65535");
    if (ipc) {
        if (!ipc_path.empty()) return "ipc://" + ipc_path;
        EDGEINFER_ASSIGN_OR_RETURN(std::string dir, private_ipc_dir());
        return "ipc://" + dir + "/camera-" + std::to_string(port);
    }
    if (!bind_address.empty() && all_interfaces)
        return invalid_argument("--bind " + bind_address + " and --all: give one (--all is --bind '*')");
    if (bind_address.find_first_of(" /?#") != std::string::npos)
        return invalid_argument("--bind '" + bind_address +
                                "': expected an address (192.168.1.5, [::1]) or an interface name (eth0)");
    const std::string host = !bind_address.empty() ? bind_address : all_interfaces ? "*" : "127.0.0.1";
    return "tcp://" + host + ":" + std::to_string(port);
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
