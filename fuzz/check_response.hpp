#pragma once
// What every answer must be, whatever the request: a real status, and a body that parses when it
// says it is JSON. A violation aborts, which is how a fuzzer reports a finding.
#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>

#include "ingress/http_types.hpp"

namespace orderd::fuzz {

inline void check_response(const http::Response& r) {
  if (r.status < 100 || r.status > 599) {
    std::fprintf(stderr, "status %u out of range\n", r.status);
    std::abort();
  }
  if (r.content_type == "application/json" || r.content_type == "application/problem+json") {
    boost::system::error_code ec;
    boost::json::parse(r.body, ec);
    if (ec) {
      std::fprintf(stderr, "status %u with a body that is not JSON (%s): %s\n", r.status,
                   ec.message().c_str(), r.body.c_str());
      std::abort();
    }
  }
}

}  // namespace orderd::fuzz
