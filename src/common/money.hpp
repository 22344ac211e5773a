#pragma once
// Money in integer minor units (cents) with its ISO 4217 currency. Never a double: Boost.JSON
// prints doubles in exponent form, and binary fractions cannot hold 0.10 exactly. Arithmetic
// checks the currency and overflow; a mismatch or an overflow throws std::domain_error, which is
// a bug in the caller (validate input with parse_currency / amount checks first).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderd {

class Money {
 public:
  Money() = default;
  // `currency` must be a valid code (parse_currency); `minor` may be negative (a refund).
  Money(std::int64_t minor, std::string currency) : minor_(minor), currency_(std::move(currency)) {}

  std::int64_t minor() const { return minor_; }
  const std::string& currency() const { return currency_; }
  bool is_zero() const { return minor_ == 0; }

  Money operator+(const Money& other) const;
  Money operator-(const Money& other) const;
  Money times(std::int64_t quantity) const;
  bool operator==(const Money& other) const = default;

  // "19.99 USD", "1999 JPY": for logs and messages, never for arithmetic.
  std::string to_string() const;

 private:
  std::int64_t minor_ = 0;
  std::string currency_;
};

// The code, upper-cased, when `code` is three ASCII letters; nullopt otherwise.
std::optional<std::string> parse_currency(std::string_view code);
// Digits after the decimal point in `currency`'s major unit: 0 for JPY, 3 for KWD, mostly 2.
int minor_unit_digits(std::string_view currency);

}  // namespace orderd
