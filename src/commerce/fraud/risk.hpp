#pragma once
// The fraud check: a risk score from 0 to 100 and the seed's rule (reject above a threshold,
// 70 by default). Deterministic, so tests and benchmarks choose their outcome: the score is
// 5 + one point per 100 major units of the order's total (an order of 6,500.00 scores 70).
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

namespace orderd::commerce {

struct RiskVerdict {
  std::int64_t score = 0;
  bool rejected = false;
  std::int64_t threshold = 0;  // as it was when scored: a replay words the rejection the same
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const RiskVerdict& r);
RiskVerdict tag_invoke(boost::json::value_to_tag<RiskVerdict>, const boost::json::value& v);

RiskVerdict assess_risk(std::int64_t total_minor, const std::string& currency,
                        std::int64_t reject_above);

}  // namespace orderd::commerce
