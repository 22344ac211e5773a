#pragma once
// URLs as orderd shows them (GET /health, logs, error messages): without credentials.
#include <string>
#include <string_view>

namespace orderd {

// `url` without the userinfo of any of its servers: "nats://user:pass@host:4222" ->
// "nats://host:4222", "nats://token@host" -> "nats://host", and each entry of a comma-separated
// server list likewise ("nats://a:1@h1,nats://h2" -> "nats://h1,nats://h2"). A URL without
// userinfo comes back unchanged. An entry's userinfo ends at its last '@': a password holding an
// '@', a '/' or a '#' is dropped whole, and a rare '@' in a path takes what precedes it along
// (shown too little rather than a secret).
std::string redact_url(std::string_view url);

}  // namespace orderd
