#pragma once
// Request ids: every answer carries one (x-request-id), and the logs name it.
#include <string>
#include <string_view>

#include "ingress/http_types.hpp"

namespace orderd::http {

// A client's id is kept when it is 1-128 characters of [A-Za-z0-9._:-] (UUIDs, ULIDs, trace
// ids): anything else could forge log lines or headers, and is replaced.
bool is_valid_request_id(std::string_view id);
// "req_" + 16 hex digits drawn once per process + "_" + a counter: unique without a lookup.
std::string new_request_id();
// The request's valid X-Request-Id, or a new one.
std::string request_id_for(const Request& request);

}  // namespace orderd::http
