#pragma once
// Base64url without padding (RFC 4648 §5), as JWS and JWK use it (RFC 7515 §2).
#include <optional>
#include <string>
#include <string_view>

namespace orderd::auth {

std::string base64url_encode(std::string_view bytes);
// Strict: only the url-safe alphabet, no padding, no whitespace, and no length that cannot be
// the end of an encoding (a remainder of one character); nullopt otherwise.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace orderd::auth
