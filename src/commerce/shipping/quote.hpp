#pragma once
// The shipping quote: a flat price per carrier, in minor units of the order's currency.
//   (no shipping given)  pickup    0     0 days
//   standard (default)             499   3 days
//   express (or FastShip)          1499  1 day
//   economy                        199   7 days
#include <optional>
#include <string>

#include "commerce/orders/order.hpp"

namespace orderd::commerce {

// The carrier's canonical name (case-insensitive input), or nullopt if unknown.
std::optional<std::string> canonical_carrier(const std::string& carrier);
// `carrier` canonical; an empty destination is a pickup.
ShippingQuote quote_shipping(const std::string& destination, const std::string& carrier);

}  // namespace orderd::commerce
