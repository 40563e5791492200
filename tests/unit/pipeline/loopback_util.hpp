// Loopback helpers for pipeline tests: a free TCP port and a minimal HTTP GET (metrics endpoint).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace edgeinfer::pipeline_test {

// A free loopback port (bound, then released).
inline int free_port() {
    int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        ::getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        a.sin_port = htons(19000);
    ::close(probe);
    return ntohs(a.sin_port);
}

// GET `path` from 127.0.0.1:`port`; the whole reply (status line, headers, body), "" if nobody listens.
inline std::string http_get(int port, const std::string& path) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        ::close(s);
        return "";
    }
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    (void)!::send(s, req.data(), req.size(), MSG_NOSIGNAL);
    std::string reply;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(s, buf, sizeof(buf), 0)) > 0) reply.append(buf, size_t(n));
    ::close(s);
    return reply;
}

}  // namespace edgeinfer::pipeline_test
