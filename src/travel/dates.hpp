#pragma once
// Calendar dates as travel uses them: "YYYY-MM-DD" (proleptic Gregorian), and the nights of a
// stay, [checkIn, checkOut). Pure, no clock, no time zone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orderd::travel {

// Days since 1970-01-01 of a valid date (years 1970..9999, real month lengths, leap years);
// nullopt for anything else ("2024-02-30", "2024-1-05", "").
std::optional<std::int64_t> parse_date(std::string_view text);
std::string format_date(std::int64_t days_since_epoch);

// The nights of a stay from check_in to check_out (exclusive), as dates; nullopt when either is
// not a date, check_out is not after check_in, or there are more than max_nights.
std::optional<std::vector<std::string>> stay_nights(std::string_view check_in,
                                                    std::string_view check_out,
                                                    std::size_t max_nights);

}  // namespace orderd::travel
