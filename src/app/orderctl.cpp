// orderctl: inspect and steer orderd's invocations through its admin API.
//   orderctl invocations ls [--status S] [--service NAME] [--limit N] [--cursor ID] [--json]
//   orderctl invocations describe ID [--json]
//   orderctl invocations kill|pause|resume|purge|cancel ID [--json]
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "client/http_client.hpp"
#include "common/json_writer.hpp"

namespace {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9070;
};

Endpoint parse_admin_url(std::string url) {
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  while (!url.empty() && url.back() == '/') url.pop_back();
  Endpoint e;
  auto colon = url.rfind(':');
  if (colon == std::string::npos) {
    e.host = url;
  } else {
    e.host = url.substr(0, colon);
    e.port = static_cast<std::uint16_t>(std::stoul(url.substr(colon + 1)));
  }
  return e;
}

std::string text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return orderd::json::dump(v);
}

std::string field(const boost::json::object& o, const char* name) {
  auto it = o.find(name);
  return it == o.end() ? "" : text(it->value());
}

std::string shorten(std::string s, std::size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s;
}

// A plain table: columns as wide as their widest cell, two spaces apart.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

// Sends the request; prints the API's error and returns nullopt when it is not a success.
std::optional<boost::json::value> call(const Endpoint& admin, const std::string& method,
                                       const std::string& path) {
  orderd::client::HttpResult r;
  try {
    orderd::client::HttpClient client(admin.port, admin.host);
    r = client.request(method, path, "");
  } catch (const std::exception& e) {
    std::cerr << "orderctl: cannot reach orderd's admin API at " << admin.host << ":" << admin.port
              << ": " << e.what() << "\n";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto body = boost::json::parse(r.body, ec);
  if (r.status >= 300) {
    std::string message = !ec && body.is_object() ? field(body.as_object(), "message") : r.body;
    std::cerr << "orderctl: " << r.status << ": " << message << "\n";
    return std::nullopt;
  }
  if (ec) {
    std::cerr << "orderctl: unreadable answer: " << r.body << "\n";
    return std::nullopt;
  }
  return body;
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

int list(const Endpoint& admin, const std::string& status, const std::string& service, int limit,
         const std::string& cursor, bool as_json) {
  std::string path = "/invocations?limit=" + std::to_string(limit);
  if (!status.empty()) path += "&status=" + url_encode(status);
  if (!service.empty()) path += "&service=" + url_encode(service);
  if (!cursor.empty()) path += "&cursor=" + url_encode(cursor);
  auto body = call(admin, "GET", path);
  if (!body) return 1;
  if (as_json) {
    std::cout << orderd::json::dump(*body) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : body->at("invocations").as_array()) {
    const auto& o = item.as_object();
    rows.push_back({field(o, "id"), field(o, "service") + "/" + field(o, "handler"),
                    field(o, "status"), field(o, "attempts"), field(o, "createdAt"),
                    shorten(field(o, "reason"), 60)});
  }
  print_table({"ID", "TARGET", "STATUS", "ATTEMPTS", "CREATED", "REASON"}, rows);
  if (auto next = field(body->as_object(), "nextCursor"); !next.empty())
    std::cout << "more: --cursor " << next << "\n";
  return 0;
}

int describe(const Endpoint& admin, const std::string& id, bool as_json) {
  auto body = call(admin, "GET", "/invocations/" + url_encode(id));
  if (!body) return 1;
  if (as_json) {
    std::cout << orderd::json::dump(*body) << "\n";
    return 0;
  }
  const auto& o = body->as_object();
  for (const char* name :
       {"id", "service", "handler", "status", "reason", "attempts", "createdAt", "completedAt",
        "executeAt", "parentId", "idempotencyKey", "input", "result", "error"}) {
    std::string value = field(o, name);
    if (!value.empty()) std::printf("%-15s %s\n", name, value.c_str());
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : o.at("journal").as_array()) {
    const auto& e = entry.as_object();
    std::string outcome = field(e, "error").empty() ? field(e, "result") : field(e, "error");
    if (outcome.empty()) outcome = field(e, "completedStep");
    rows.push_back({field(e, "index"), field(e, "kind"), field(e, "name"), field(e, "status"),
                    field(e, "attempts"), field(e, "startedAt"), field(e, "endedAt"),
                    shorten(outcome, 50)});
  }
  std::cout << "\njournal\n";
  print_table({"#", "KIND", "NAME", "STATUS", "ATTEMPTS", "STARTED", "ENDED", "RESULT"}, rows);
  return 0;
}

int control(const Endpoint& admin, const std::string& action, const std::string& id, bool as_json) {
  auto body = call(admin, "PATCH", "/invocations/" + url_encode(id) + "/" + action);
  if (!body) return 1;
  if (as_json)
    std::cout << orderd::json::dump(*body) << "\n";
  else
    std::cout << action << ": " << id << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orderctl: inspect and steer orderd's invocations"};
  std::string admin_url = "http://127.0.0.1:9070";
  app.add_option("--admin", admin_url, "orderd's admin API")
      ->envname("ORDERCTL_ADMIN")
      ->capture_default_str();
  bool as_json = false;
  app.add_flag("--json", as_json, "print the API's JSON instead of tables");
  app.require_subcommand(1);

  auto* invocations = app.add_subcommand("invocations", "list, describe and steer invocations");
  invocations->require_subcommand(1);

  std::string status, service, cursor;
  int limit = 20;
  auto* ls = invocations->add_subcommand("ls", "list invocations, newest first");
  ls->add_option("--status", status, "running, paused, succeeded or failed");
  ls->add_option("--service", service, "only this service");
  ls->add_option("--limit", limit, "at most this many (1-1000)")->capture_default_str();
  ls->add_option("--cursor", cursor, "continue after this id (from the previous page)");
  ls->add_flag("--json", as_json, "print JSON");

  std::string id;
  auto* describe_cmd = invocations->add_subcommand("describe", "an invocation and its journal");
  describe_cmd->add_option("id", id, "invocation id")->required();
  describe_cmd->add_flag("--json", as_json, "print JSON");

  std::vector<CLI::App*> controls;
  for (const char* action : {"kill", "pause", "resume", "purge", "cancel"}) {
    auto* cmd = invocations->add_subcommand(action, std::string(action) + " an invocation");
    cmd->add_option("id", id, "invocation id")->required();
    cmd->add_flag("--json", as_json, "print JSON");
    controls.push_back(cmd);
  }
  CLI11_PARSE(app, argc, argv);

  Endpoint admin = parse_admin_url(admin_url);
  if (ls->parsed()) return list(admin, status, service, limit, cursor, as_json);
  if (describe_cmd->parsed()) return describe(admin, id, as_json);
  for (auto* cmd : controls)
    if (cmd->parsed()) return control(admin, cmd->get_name(), id, as_json);
  return 1;
}
