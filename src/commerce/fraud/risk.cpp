#include "commerce/fraud/risk.hpp"

#include <algorithm>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "common/json_fields.hpp"
#include "common/money.hpp"

namespace orderd::commerce {

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const RiskVerdict& r) {
  v = {{"score", r.score}, {"rejected", r.rejected}, {"threshold", r.threshold}};
}

RiskVerdict tag_invoke(boost::json::value_to_tag<RiskVerdict>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_integer(o, "score"), json::require_bool(o, "rejected"),
          json::require_integer(o, "threshold")};
}

RiskVerdict assess_risk(std::int64_t total_minor, const std::string& currency,
                        std::int64_t reject_above) {
  std::int64_t unit = 1;
  for (int i = 0; i < minor_unit_digits(currency); ++i) unit *= 10;
  const std::int64_t major = total_minor / unit;
  const std::int64_t score = std::min<std::int64_t>(100, 5 + major / 100);
  return {score, score > reject_above, reject_above};
}

}  // namespace orderd::commerce
