// ZeroMQ CURVE keys for the camera server and its clients (docs/security.md): one folder holds the
// server's key pair, a client key pair and the list of client public keys the server accepts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/status.hpp"

namespace edgeinfer::io {

// Keys are Z85 text, 40 characters, one per file.
struct CurveServerKeys {
    std::string public_key;
    std::string secret_key;
    std::vector<std::string> authorized_clients;  // client public keys the server accepts
};

struct CurveClientKeys {
    std::string server_public_key;
    std::string public_key;
    std::string secret_key;
};

// Creates DIR (mode 0700) with server.key, server.pub, client.key, client.pub (the .key files mode
// 0600) and authorized_clients (client.pub's key; add a line per further client). Existing key files
// are never overwritten: kInvalidArgument naming the first one found.
Status generate_curve_keys(const std::string& dir);

// The server's side of DIR: server.key, server.pub and authorized_clients (one key a line; other
// lines starting with '#' are comments). Errors name the file and what is wrong (missing, not a
// 40-character Z85 key, none authorized).
Result<CurveServerKeys> load_curve_server_keys(const std::string& dir);

// A client's side of DIR: server.pub, client.key and client.pub. Errors as load_curve_server_keys.
Result<CurveClientKeys> load_curve_client_keys(const std::string& dir);

// The Z85 text of a 32-byte binary key (as ZeroMQ's authentication handler hands it over).
std::string z85_key(std::string_view binary);

// `dataspec` (tcp://... or ipc://...) with ?curve_keys=DIR added, for the CLI's --curve-keys flag;
// kInvalidArgument when the DATASPEC is not a camera server or DIR cannot be a query value.
Result<std::string> with_curve_keys(const std::string& dataspec, const std::string& dir);

}  // namespace edgeinfer::io
