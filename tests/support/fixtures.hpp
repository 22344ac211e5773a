#pragma once
// Shared by the end-to-end tests: the seed's order, JSON parsing, and read-only queries on a
// store file, as an outside observer would make them.
#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <string>

namespace orderd::testing {

// The seed tutorial's order request.
inline const std::string kSeedOrder =
    R"({"userId":"user123","productId":"prod456","quantity":2,"amount":99.99,"weight":5.5,"destination":"New York"})";

inline boost::json::object parse_object(const std::string& body) {
  return boost::json::parse(body).as_object();
}

// The first column of the first row of `sql` on the store at `db_path`, as text ("" if none).
std::string query_text(const std::filesystem::path& db_path, const std::string& sql);
std::int64_t query_int(const std::filesystem::path& db_path, const std::string& sql);
// Changes the store behind orderd's back, as damage or a bug would.
void execute(const std::filesystem::path& db_path, const std::string& sql);

}  // namespace orderd::testing
