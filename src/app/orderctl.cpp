// orderctl: inspect and steer orderd's invocations through its admin API, and read the shop's
// events through the ingress.
//   orderctl invocations ls [--status S] [--service NAME] [--limit N] [--cursor ID] [--json]
//   orderctl invocations describe ID [--json]
//   orderctl invocations kill|pause|resume|purge|cancel ID [--json]
//   orderctl events ls [--after ID] [--limit N] [--type T] [--subject S]
//   orderctl events tail [--after ID|now] [--type T] [--subject S]
//   orderctl token --secret-file FILE --sub ID --role customer [--role admin ...] [--ttl 1h]
//                  [--issuer X] [--audience Y]
// With authentication on (orderd's --jwt-* flags), every command but `token` needs --token (or
// ORDERD_TOKEN), sent as Authorization: Bearer. `token` mints an HS256 token for development from
// the server's secret file, read as the server reads it (auth/jwt_keys.hpp).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "auth/caller.hpp"
#include "auth/jwt_keys.hpp"
#include "auth/jwt_signer.hpp"
#include "client/http_client.hpp"
#include "client/http_stream.hpp"
#include "client/sse_reader.hpp"
#include "common/durations.hpp"
#include "common/json_writer.hpp"

namespace {

struct Endpoint {
  std::string name;  // "admin API", "ingress": for errors
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string token;  // --token: sent as Authorization: Bearer when set

  orderd::client::Headers headers() const {
    if (token.empty()) return {};
    return {{"authorization", "Bearer " + token}};
  }
};

Endpoint parse_url(std::string name, std::string url, std::uint16_t default_port) {
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  while (!url.empty() && url.back() == '/') url.pop_back();
  Endpoint e{std::move(name), "127.0.0.1", default_port, {}};
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

// An error answer's message: Restate's {code, message} or a problem's detail (with its code).
std::string error_message(unsigned status, const std::string& text) {
  boost::system::error_code ec;
  auto body = boost::json::parse(text, ec);
  std::string message = text;
  if (!ec && body.is_object()) {
    const auto& o = body.as_object();
    if (o.contains("detail"))
      message = field(o, "code") + ": " + field(o, "detail");
    else if (o.contains("message"))
      message = field(o, "message");
  }
  return "orderctl: " + std::to_string(status) + ": " + message;
}

// Sends the request; prints the API's error and returns nullopt when it is not a success.
std::optional<boost::json::value> call(const Endpoint& to, const std::string& method,
                                       const std::string& path) {
  orderd::client::HttpResult r;
  try {
    orderd::client::HttpClient client(to.port, to.host);
    r = client.request(method, path, "", to.headers());
  } catch (const std::exception& e) {
    std::cerr << "orderctl: cannot reach orderd's " << to.name << " at " << to.host << ":"
              << to.port << ": " << e.what() << "\n";
    return std::nullopt;
  }
  if (r.status >= 300) {
    std::cerr << error_message(r.status, r.body) << "\n";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto body = boost::json::parse(r.body, ec);
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
  for (const char* name : {"id", "service", "handler", "status", "reason", "attempts", "createdAt",
                           "completedAt", "executeAt", "parentId", "idempotencyKey", "principal",
                           "traceparent", "input", "result", "error"}) {
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

// The query of the events routes: only the options given.
std::string events_query(const std::vector<std::pair<const char*, std::string>>& options) {
  std::string query;
  for (const auto& [name, value] : options) {
    if (value.empty()) continue;
    query += query.empty() ? '?' : '&';
    query += name;
    query += '=';
    query += url_encode(value);
  }
  return query;
}

// One page of events, one JSON object a line on stdout; where to go on, on stderr.
int list_events(const Endpoint& ingress, const std::string& after, int limit,
                const std::string& type, const std::string& subject) {
  auto body = call(ingress, "GET",
                   "/api/v1/events" + events_query({{"after", after},
                                                    {"limit", std::to_string(limit)},
                                                    {"type", type},
                                                    {"subject", subject}}));
  if (!body) return 1;
  const auto& o = body->as_object();
  for (const auto& event : o.at("data").as_array()) std::cout << orderd::json::dump(event) << "\n";
  std::cout.flush();
  if (auto next = field(o, "next_after"); !next.empty())
    std::cerr << "next: --after " << next << (o.at("has_more").as_bool() ? " (more)" : "") << "\n";
  return 0;
}

// Follows the event stream, one event's JSON a line, until interrupted or until orderd ends
// the stream (a shutdown); then the last id is printed on stderr, to go on with --after.
int tail_events(const Endpoint& ingress, const std::string& after, const std::string& type,
                const std::string& subject) {
  const std::string path = "/api/v1/events/stream" +
                           events_query({{"after", after}, {"type", type}, {"subject", subject}});
  std::string last_id;
  try {
    orderd::client::Headers headers = ingress.headers();
    headers.emplace_back("accept", "text/event-stream");
    orderd::client::HttpStream stream(ingress.port, ingress.host, path, headers);
    if (stream.status() != 200) {
      std::cerr << error_message(stream.status(), stream.read_all()) << "\n";
      return 1;
    }
    orderd::client::SseReader reader(stream);
    while (auto message = reader.next()) {
      if (message->data.empty()) continue;               // the retry, heartbeats
      std::cout << message->data << "\n" << std::flush;  // a reader downstream sees it now
      if (!message->id.empty()) last_id = message->id;
    }
  } catch (const std::exception& e) {
    std::cerr << "orderctl: the event stream from " << ingress.host << ":" << ingress.port
              << " failed: " << e.what() << "\n";
    if (!last_id.empty()) std::cerr << "last: --after " << last_id << "\n";
    return 1;
  }
  std::cerr << "orderctl: orderd ended the event stream";
  if (!last_id.empty()) std::cerr << "; go on with --after " << last_id;
  std::cerr << "\n";
  return 0;
}

struct TokenRequest {
  std::string secret_file;
  std::string private_key_file;  // instead: RS256 (RSA) or ES256 (EC P-256), for benchmarks
  std::string subject;
  std::vector<std::string> roles;
  std::string ttl = "1h";
  std::string issuer;
  std::string audience;
};

// Prints an HS256 token for `request`, valid from now for its ttl.
int mint_token(const TokenRequest& request) {
  const auto ttl_ms = orderd::durations::parse_ms(request.ttl);
  if (!ttl_ms || *ttl_ms < 1000) {
    std::cerr << "orderctl: --ttl " << request.ttl << " is not a duration of a second or more\n";
    return 2;
  }
  boost::json::array roles;
  for (const auto& role : request.roles) {
    // A typo would mint a token the server reads as having no role: refused here instead.
    if (!orderd::auth::parse_role(role)) {
      std::cerr << "orderctl: --role " << role << ": not one of customer, admin, service\n";
      return 2;
    }
    roles.emplace_back(role);
  }
  std::string secret;
  std::string private_key;
  if (request.secret_file.empty() == request.private_key_file.empty()) {
    std::cerr << "orderctl: token needs --secret-file or --private-key-file\n";
    return 2;
  }
  if (!request.private_key_file.empty()) {
    std::ifstream file(request.private_key_file);
    std::stringstream pem;
    pem << file.rdbuf();
    if (!file) {
      std::cerr << "orderctl: --private-key-file " << request.private_key_file
                << ": cannot read it\n";
      return 2;
    }
    private_key = pem.str();
  } else {
    try {
      secret = orderd::auth::read_hs256_secret(request.secret_file);
    } catch (const orderd::auth::JwtKeyError& e) {
      std::cerr << "orderctl: --secret-file " << request.secret_file << ": " << e.what() << "\n";
      return 2;
    }
  }
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  boost::json::object claims{{"sub", request.subject},
                             {"roles", std::move(roles)},
                             {"iat", now},
                             {"exp", now + *ttl_ms / 1000}};
  if (!request.issuer.empty()) claims["iss"] = request.issuer;
  if (!request.audience.empty()) claims["aud"] = request.audience;
  if (private_key.empty()) {
    std::cout << orderd::auth::mint_hs256(claims, secret) << "\n";
    return 0;
  }
  // The key's type says the algorithm: RSA signs RS256, EC (P-256) ES256.
  for (auto alg : {orderd::auth::JwtAlgorithm::kES256, orderd::auth::JwtAlgorithm::kRS256}) {
    try {
      const std::string header = std::string(R"({"alg":")") +
                                 std::string(orderd::auth::to_string(alg)) + R"(","typ":"JWT"})";
      std::cout << orderd::auth::sign_jwt(header, orderd::json::dump(claims), alg, private_key)
                << "\n";
      return 0;
    } catch (const std::exception&) {
      // Not this algorithm's key: try the next.
    }
  }
  std::cerr << "orderctl: --private-key-file " << request.private_key_file
            << ": not an RSA or EC P-256 private key in PEM\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orderctl: inspect and steer orderd's invocations, read the shop's events"};
  std::string admin_url = "http://127.0.0.1:9070";
  app.add_option("--admin", admin_url, "orderd's admin API")
      ->envname("ORDERCTL_ADMIN")
      ->capture_default_str();
  std::string ingress_url = "http://127.0.0.1:8080";
  app.add_option("--ingress", ingress_url, "orderd's ingress, which serves /api/v1 (events)")
      ->envname("ORDERCTL_INGRESS")
      ->capture_default_str();
  bool as_json = false;
  app.add_flag("--json", as_json, "print the API's JSON instead of tables");
  std::string token;
  app.add_option("--token", token,
                 "a JWT, sent as Authorization: Bearer (orderd with --jwt-* needs one)")
      ->envname("ORDERD_TOKEN");
  app.require_subcommand(1);

  TokenRequest token_request;
  auto* token_cmd = app.add_subcommand(
      "token", "print an HS256 token for development, signed with orderd's secret file");
  auto* secret_file = token_cmd->add_option("--secret-file", token_request.secret_file,
                                            "the file given to orderd as --jwt-hs256-secret-file");
  auto* private_key_file = token_cmd->add_option(
      "--private-key-file", token_request.private_key_file,
      "instead of --secret-file: a PEM private key (RSA signs RS256, EC P-256 ES256) whose "
      "public key orderd has as --jwt-public-key-file");
  secret_file->excludes(private_key_file);
  token_cmd->add_option("--sub", token_request.subject, "the subject: a customer's user id")
      ->required();
  token_cmd->add_option("--role", token_request.roles, "customer, admin or service; repeatable");
  token_cmd->add_option("--ttl", token_request.ttl, "how long the token is valid (30m, 1h, 7d)")
      ->capture_default_str();
  token_cmd->add_option("--issuer", token_request.issuer, "its iss claim (orderd's --jwt-issuer)");
  token_cmd->add_option("--audience", token_request.audience,
                        "its aud claim (orderd's --jwt-audience)");

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
  auto* events = app.add_subcommand("events", "the shop's events (the outbox), oldest first");
  events->require_subcommand(1);
  std::string after, type, subject;
  int event_limit = 100;
  auto* events_ls = events->add_subcommand(
      "ls", "one page of events, a JSON object a line; the next cursor goes to stderr");
  events_ls->add_option("--after", after, "continue after this event id (evt_...)");
  events_ls->add_option("--limit", event_limit, "at most this many (1-1000)")
      ->capture_default_str();
  auto* events_tail = events->add_subcommand(
      "tail", "follow the events as they become durable, a JSON object a line, until interrupted");
  events_tail->add_option("--after", after,
                          "start after this event id, or at the current end (now); default: the "
                          "beginning");
  for (auto* cmd : {events_ls, events_tail}) {
    cmd->add_option("--type", type, "only events of this type (order.created, stock.reserved...)");
    cmd->add_option("--subject", subject,
                    "only events of this subject (an order id, a product id)");
  }
  CLI11_PARSE(app, argc, argv);

  if (token_cmd->parsed()) return mint_token(token_request);
  Endpoint ingress = parse_url("ingress", ingress_url, 8080);
  ingress.token = token;
  if (events_ls->parsed()) return list_events(ingress, after, event_limit, type, subject);
  if (events_tail->parsed()) return tail_events(ingress, after, type, subject);
  Endpoint admin = parse_url("admin API", admin_url, 9070);
  admin.token = token;
  if (ls->parsed()) return list(admin, status, service, limit, cursor, as_json);
  if (describe_cmd->parsed()) return describe(admin, id, as_json);
  for (auto* cmd : controls)
    if (cmd->parsed()) return control(admin, cmd->get_name(), id, as_json);
  return 1;
}
