// serve::add_http_routes: the KServe v2 REST endpoints (health, metadata, ready, infer, /metrics) on a
// cpp-httplib server, answering from a Repository. Errors are {"error": "..."} with the matching HTTP code.
#pragma once

#include <httplib.h>

#include "edgeinfer/status.hpp"
#include "serve/repository.hpp"

namespace edgeinfer::serve {

// The HTTP status for a Status: 400 bad input, 404 not found, 503 overloaded or stopping, 500 otherwise.
int http_status(const Status& status);

void add_http_routes(httplib::Server& server, Repository& repository);
// GET /metrics only (the --metrics-port server).
void add_metrics_route(httplib::Server& server, Repository& repository);

}  // namespace edgeinfer::serve
