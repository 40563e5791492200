// CURVE key files: generation with zmq_curve_keypair, loading and checking (io/curve.hpp).
#include "io/curve.hpp"

#include <sys/stat.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/status.hpp"

namespace edgeinfer::io {
namespace {

namespace fs = std::filesystem;

constexpr size_t kZ85KeyLength = 40;

bool is_z85_key(std::string_view text) {
    if (text.size() != kZ85KeyLength) return false;
    uint8_t binary[32];
    const std::string copy(text);
    return zmq_z85_decode(binary, copy.c_str()) != nullptr;
}

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

// 'path' for messages, built by appending (GCC 12's -Wrestrict misreads "'" + std::string&& in aarch64 builds).
std::string quoted(const fs::path& p) {
    std::string s(1, '\'');
    s += p.string();
    s += '\'';
    return s;
}

Result<std::string> read_key(const fs::path& file) {
    std::ifstream in(file);
    if (!in)
        return not_found("CURVE key file '" + file.string() +
                         "' cannot be read (made by `edgeinfer camera-server --generate-keys DIR`)");
    std::stringstream text;
    text << in.rdbuf();
    const std::string key = trim(text.str());
    if (!is_z85_key(key))
        return invalid_argument("CURVE key file '" + file.string() + "' does not hold one 40-character Z85 key");
    return key;
}

Status write_file(const fs::path& file, const std::string& text, mode_t mode) {
    {
        std::ofstream out(file);
        if (!(out << text << "\n")) return io_error("cannot write '" + file.string() + "'");
    }
    if (::chmod(file.c_str(), mode) != 0)
        return io_error("cannot set the mode of '" + file.string() + "': " + std::strerror(errno));
    return Status::ok();
}

}  // namespace

std::string z85_key(std::string_view binary) {
    if (binary.size() != 32) return "";
    char text[kZ85KeyLength + 1] = {};
    if (zmq_z85_encode(text, reinterpret_cast<const uint8_t*>(binary.data()), binary.size()) == nullptr) return "";
    return text;
}

Status generate_curve_keys(const std::string& dir) {
    if (dir.empty()) return invalid_argument("--generate-keys needs a folder");
    if (!zmq_has("curve")) return unsupported("this libzmq was built without CURVE support");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return io_error("cannot create the key folder '" + dir + "': " + ec.message());
    if (::chmod(dir.c_str(), 0700) != 0)
        return io_error("cannot make the key folder '" + dir + "' private: " + std::strerror(errno));
    const fs::path d(dir);
    for (const char* name : {"server.key", "server.pub", "client.key", "client.pub", "authorized_clients"})
        if (fs::exists(d / name, ec))
            return invalid_argument(quoted(d / name) +
                                    " exists: refusing to replace keys (remove them, or choose another folder)");
    char server_public[kZ85KeyLength + 1], server_secret[kZ85KeyLength + 1];
    char client_public[kZ85KeyLength + 1], client_secret[kZ85KeyLength + 1];
    if (zmq_curve_keypair(server_public, server_secret) != 0 || zmq_curve_keypair(client_public, client_secret) != 0)
        return internal_error(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()));
    EDGEINFER_RETURN_IF_ERROR(write_file(d / "server.key", server_secret, 0600));
    EDGEINFER_RETURN_IF_ERROR(write_file(d / "server.pub", server_public, 0644));
    EDGEINFER_RETURN_IF_ERROR(write_file(d / "client.key", client_secret, 0600));
    EDGEINFER_RETURN_IF_ERROR(write_file(d / "client.pub", client_public, 0644));
    return write_file(d / "authorized_clients",
                      std::string("# client public keys the camera server accepts, one a line\n") + client_public,
                      0644);
}

Result<CurveServerKeys> load_curve_server_keys(const std::string& dir) {
    const fs::path d(dir);
    CurveServerKeys keys;
    EDGEINFER_ASSIGN_OR_RETURN(keys.secret_key, read_key(d / "server.key"));
    EDGEINFER_ASSIGN_OR_RETURN(keys.public_key, read_key(d / "server.pub"));
    const fs::path list = d / "authorized_clients";
    std::ifstream in(list);
    if (!in) return not_found(quoted(list) + " cannot be read: it lists the client public keys to accept");
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        line = trim(line);
        // Z85 has '#' among its characters: a comment is a line that is not a key and starts with '#'.
        if (line.empty() || (line[0] == '#' && !is_z85_key(line))) continue;
        if (!is_z85_key(line))
            return invalid_argument(quoted(list) + " line " + std::to_string(line_number) +
                                    ": not a 40-character Z85 public key");
        keys.authorized_clients.push_back(line);
    }
    if (keys.authorized_clients.empty())
        return invalid_argument(quoted(list) + " lists no client key: no client could connect");
    return keys;
}

Result<CurveClientKeys> load_curve_client_keys(const std::string& dir) {
    const fs::path d(dir);
    CurveClientKeys keys;
    EDGEINFER_ASSIGN_OR_RETURN(keys.server_public_key, read_key(d / "server.pub"));
    EDGEINFER_ASSIGN_OR_RETURN(keys.secret_key, read_key(d / "client.key"));
    EDGEINFER_ASSIGN_OR_RETURN(keys.public_key, read_key(d / "client.pub"));
    return keys;
}

Result<std::string> with_curve_keys(const std::string& dataspec, const std::string& dir) {
    if (dataspec.rfind("tcp://", 0) != 0 && dataspec.rfind("ipc://", 0) != 0)
        return invalid_argument("--curve-keys " + dir + ": the DATASPEC '" + dataspec +
                                "' is not a camera server (tcp:// or ipc://)");
    if (dir.empty() || dir.find_first_of("&?#") != std::string::npos)
        return invalid_argument("--curve-keys '" + dir + "': a folder name without &, ? or #");
    return dataspec + (dataspec.find('?') == std::string::npos ? "?" : "&") + "curve_keys=" + dir;
}

}  // namespace edgeinfer::io
