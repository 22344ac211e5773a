#include "commerce/shipping/quote.hpp"

#include <algorithm>
#include <cctype>

namespace orderd::commerce {

std::optional<std::string> canonical_carrier(const std::string& carrier) {
  std::string lower = carrier;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "fastship") lower = "express";
  if (lower == "standard" || lower == "express" || lower == "economy") return lower;
  return std::nullopt;
}

ShippingQuote quote_shipping(const std::string& destination, const std::string& carrier) {
  if (destination.empty()) return {"", "pickup", 0, 0};
  if (carrier == "express") return {destination, carrier, 1499, 1};
  if (carrier == "economy") return {destination, carrier, 199, 7};
  return {destination, "standard", 499, 3};
}

}  // namespace orderd::commerce
