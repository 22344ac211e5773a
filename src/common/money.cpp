#include "common/money.hpp"

#include <array>
#include <cstdlib>
#include <stdexcept>

namespace orderd {
namespace {

void require_same(const Money& a, const Money& b) {
  if (a.currency() != b.currency())
    throw std::domain_error("money of different currencies: " + a.currency() + " and " +
                            b.currency());
}

void refuse_overflow(bool overflowed) {
  if (overflowed) throw std::domain_error("money amount overflows 64 bits");
}

}  // namespace

Money Money::operator+(const Money& other) const {
  require_same(*this, other);
  std::int64_t sum = 0;
  refuse_overflow(__builtin_add_overflow(minor_, other.minor_, &sum));
  return Money(sum, currency_);
}

Money Money::operator-(const Money& other) const {
  require_same(*this, other);
  std::int64_t difference = 0;
  refuse_overflow(__builtin_sub_overflow(minor_, other.minor_, &difference));
  return Money(difference, currency_);
}

Money Money::times(std::int64_t quantity) const {
  std::int64_t product = 0;
  refuse_overflow(__builtin_mul_overflow(minor_, quantity, &product));
  return Money(product, currency_);
}

std::string Money::to_string() const {
  const auto digits = static_cast<std::size_t>(minor_unit_digits(currency_));
  // The magnitude as unsigned, so the most negative amount has one too.
  const std::uint64_t magnitude =
      minor_ < 0 ? std::uint64_t(-(minor_ + 1)) + 1 : std::uint64_t(minor_);
  std::string units = std::to_string(magnitude);
  if (units.size() <= digits) units.insert(0, digits + 1 - units.size(), '0');
  std::string out;
  if (minor_ < 0) out.push_back('-');
  out.append(units, 0, units.size() - digits);
  if (digits > 0) {
    out.push_back('.');
    out.append(units, units.size() - digits, digits);
  }
  out.push_back(' ');
  out.append(currency_);
  return out;
}

std::optional<std::string> parse_currency(std::string_view code) {
  if (code.size() != 3) return std::nullopt;
  std::string upper(code);
  for (auto& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c < 'A' || c > 'Z') return std::nullopt;
  }
  return upper;
}

int minor_unit_digits(std::string_view currency) {
  // The ISO 4217 exceptions to two digits that a shop meets; every other code has two.
  static constexpr std::array<std::string_view, 9> kNone{"JPY", "KRW", "VND", "CLP", "ISK",
                                                         "UGX", "XAF", "XOF", "PYG"};
  static constexpr std::array<std::string_view, 5> kThree{"KWD", "BHD", "OMR", "JOD", "TND"};
  for (auto c : kNone)
    if (c == currency) return 0;
  for (auto c : kThree)
    if (c == currency) return 3;
  return 2;
}

}  // namespace orderd
