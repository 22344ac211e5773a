#pragma once
// A typed failure: its category (error_code.hpp), the stable reason a client matches on, the
// message a person reads, and structured details. It crosses the journal inside step outcomes
// and invocation records, which hold a numeric code and a text; encode()/decode() are that text.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error_code.hpp"

namespace orderd {

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  // Restate's numeric code, also the HTTP status: status_code(code) unless a handler chose its
  // own (a Restate-style TerminalError("...", 418)).
  std::uint16_t status = 500;
  std::string reason;   // stable snake_case id of the exact problem; empty: the category's name
  std::string message;  // for people
  std::string details;  // a JSON object's text (fields a client can use), or empty

  static Error of(ErrorCode code, std::string message, std::string reason = {},
                  std::string details = {}) {
    return {code, status_code(code), std::move(reason), std::move(message), std::move(details)};
  }
  std::string_view reason_or_category() const {
    return reason.empty() ? to_string(code) : std::string_view(reason);
  }

  // The stored text: the bare message when the numeric code says all the rest (every record an
  // older orderd wrote, and Restate's own errors), else a JSON object with the message, the
  // category, the reason and the details.
  std::string encode() const;
  // The inverse, given the record's numeric code: a bare message is an error of the category
  // that code stands for.
  static Error decode(std::uint16_t status, std::string_view stored);
};

}  // namespace orderd
