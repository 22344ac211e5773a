// orderd-load: a closed-loop HTTP/1.1 load generator for orderd.
// N keep-alive connections, each one coroutine with one request in flight, all on one thread so
// the client costs a single core of the machine it shares with the server.
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Errors come back as values: a failed request is data for the report, not an exception.
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// Beast parses a status line's code as three digits, so 0..999 indexes every status it returns.
constexpr unsigned kStatusSlots = 1000;
using StatusSet = std::array<bool, kStatusSlots>;

// --expect-status: a comma-separated list of codes (201) or classes (2xx); nullopt if malformed.
std::optional<StatusSet> parse_expected_statuses(std::string_view list) {
  StatusSet set{};
  for (bool more = true; more;) {  // every item must be valid: "200," and "200,,201" are not
    const auto comma = list.find(',');
    more = comma != std::string_view::npos;
    std::string_view item = list.substr(0, comma);
    if (more) list.remove_prefix(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.size() != 3 || item[0] < '1' || item[0] > '5') return std::nullopt;
    if ((item[1] == 'x' || item[1] == 'X') && (item[2] == 'x' || item[2] == 'X')) {
      const unsigned first = static_cast<unsigned>(item[0] - '0') * 100;
      for (unsigned s = first; s < first + 100; ++s) set[s] = true;
      continue;
    }
    unsigned code = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), code);
    if (ec != std::errc{} || end != item.data() + item.size()) return std::nullopt;
    set[code] = true;
  }
  return set;
}

// A --body template cut at its placeholders: literals[i], then slots[i], ..., then the last
// literal. Cutting it once up front keeps each request's rendering to appends.
struct BodyTemplate {
  enum class Slot { product, user };
  std::vector<std::string> literals;  // slots.size() + 1 pieces
  std::vector<Slot> slots;

  static BodyTemplate parse(std::string_view body) {
    static constexpr std::string_view kProduct = "{product}";
    static constexpr std::string_view kUser = "{user}";
    BodyTemplate t;
    std::string literal;
    std::size_t i = 0;
    while (i < body.size()) {
      const auto rest = body.substr(i);
      if (rest.starts_with(kProduct) || rest.starts_with(kUser)) {
        const bool product = rest.starts_with(kProduct);
        t.literals.push_back(std::move(literal));
        literal.clear();
        t.slots.push_back(product ? Slot::product : Slot::user);
        i += product ? kProduct.size() : kUser.size();
      } else {
        literal.push_back(body[i++]);
      }
    }
    t.literals.push_back(std::move(literal));
    return t;
  }
};

// splitmix64: one per connection, so drawing costs a few multiplies and needs no lock.
struct FastRng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in 1..n by multiply-shift; the bias, under n / 2^64, is far below what a run sees.
  std::uint64_t between_one_and(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64) + 1;
  }
};

constexpr std::uint64_t kUsers = 100000;  // {user} is drawn from 1..kUsers

struct Target {
  tcp::resolver::results_type endpoints;
  std::string host_header;
  std::string path;
  std::string body;
  // With products > 0 each request's body is rendered from body_template instead of body.
  std::uint64_t products = 0;
  BodyTemplate body_template;
  std::uint64_t rng_seed = 0;
  StatusSet expected_status{};
  // "none": no idempotency-key header; "unique": a fresh key per request (measures the cost of
  // deduplication); "same": one key per connection (measures answering repeats from the store).
  std::string idempotency = "none";
  std::vector<std::pair<std::string, std::string>> headers;  // --header, on every request
  Clock::time_point stop_at;                                 // no new request starts after this
  Clock::time_point hard_deadline;  // every pending operation times out here
};

struct Stats {
  Clock::time_point measure_from;
  Clock::time_point measure_until;
  std::vector<std::int64_t> latencies_us;
  std::uint64_t http_errors = 0;  // responses whose status is not in --expect-status
  std::array<std::uint64_t, kStatusSlots> unexpected_status{};  // those, by status
  std::uint64_t connection_errors = 0;                          // failed connects, writes or reads

  // Warmup and drain-phase completions are excluded so rps = requests / duration holds.
  bool measuring(Clock::time_point t) const { return t >= measure_from && t <= measure_until; }
};

asio::awaitable<void> connection_loop(std::shared_ptr<const Target> target,
                                      std::shared_ptr<Stats> stats) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  beast::flat_buffer buffer;
  asio::steady_timer backoff(executor);

  http::request<http::string_body> request{http::verb::post, target->path, 11};
  request.set(http::field::host, target->host_header);
  request.set(http::field::user_agent, "orderd-load");
  request.set(http::field::content_type, "application/json");
  request.keep_alive(true);
  for (const auto& [name, value] : target->headers) request.set(name, value);
  request.body() = target->body;
  request.prepare_payload();

  static std::uint64_t connection_counter = 0;
  const std::uint64_t connection_number = ++connection_counter;
  const std::string key_prefix = "load-" + std::to_string(connection_number) + "-";
  std::uint64_t sent = 0;
  if (target->idempotency == "same") request.set("idempotency-key", key_prefix + "same");
  FastRng rng{target->rng_seed + connection_number * 0xd1b54a32d192ed03ULL};

  // {product}: a fresh draw at each occurrence; {user}: one draw per request, every occurrence.
  auto render_body = [&] {
    std::string& out = request.body();
    out.clear();
    const std::uint64_t user = rng.between_one_and(kUsers);
    char digits[24];
    for (std::size_t i = 0; i < target->body_template.slots.size(); ++i) {
      out += target->body_template.literals[i];
      const std::uint64_t value = target->body_template.slots[i] == BodyTemplate::Slot::product
                                      ? rng.between_one_and(target->products)
                                      : user;
      const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
      (void)ec;
      out.append(digits, end);
    }
    out += target->body_template.literals.back();
    request.prepare_payload();
  };

  // {seq} in the path: a fresh id per request (a new trip, a new workflow), unique in the run.
  const auto seq_at = target->path.find("{seq}");
  std::uint64_t requests = 0;
  auto render_path = [&] {
    std::string path = target->path.substr(0, seq_at);
    path += "c" + std::to_string(connection_number) + "-" + std::to_string(++requests);
    path += target->path.substr(seq_at + 5);
    request.target(path);
  };

  bool connected = false;
  while (Clock::now() < target->stop_at) {
    if (seq_at != std::string::npos) render_path();
    if (target->idempotency == "unique")
      request.set("idempotency-key", key_prefix + std::to_string(++sent));
    if (target->products > 0) render_body();
    if (!connected) {
      stream.expires_at(target->hard_deadline);
      auto [connect_ec, endpoint] = co_await stream.async_connect(target->endpoints, use_nothrow);
      (void)endpoint;
      if (connect_ec) {
        if (stats->measuring(Clock::now())) ++stats->connection_errors;
        stream.close();
        // A short pause keeps a refusing server from turning this loop into a busy spin.
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(use_nothrow);
        continue;
      }
      beast::error_code option_ec;
      stream.socket().set_option(tcp::no_delay(true), option_ec);  // small requests: no Nagle
      buffer.consume(buffer.size());
      connected = true;
    }

    const auto started = Clock::now();
    stream.expires_at(target->hard_deadline);
    auto [write_ec, written] = co_await http::async_write(stream, request, use_nothrow);
    (void)written;
    beast::error_code read_ec;
    // A fresh parser per response: parsers are single-use, and the limit guards memory.
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    if (!write_ec) {
      auto [ec, read] = co_await http::async_read(stream, buffer, parser, use_nothrow);
      (void)read;
      read_ec = ec;
    }
    const auto finished = Clock::now();

    if (write_ec || read_ec) {
      if (stats->measuring(finished)) ++stats->connection_errors;
      stream.close();
      connected = false;
      continue;
    }
    const auto& response = parser.get();
    if (stats->measuring(finished)) {
      stats->latencies_us.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(finished - started).count());
      const unsigned status = response.result_int();
      if (status >= kStatusSlots || !target->expected_status[status]) {
        ++stats->http_errors;
        ++stats->unexpected_status[std::min(status, kStatusSlots - 1)];
      }
    }
    if (!response.keep_alive()) {  // the server chose to close: reconnect, not an error
      stream.close();
      connected = false;
    }
  }

  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.close();
}

double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  // Nearest rank: the smallest sample with at least p of all samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orderd-load: closed-loop HTTP/1.1 load generator for orderd"};
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string path = "/OrderService/ProcessOrder";
  std::string body = R"({"userId":"user123","productId":"prod456","quantity":2,"amount":99.99,)"
                     R"("weight":5.5,"destination":"New York"})";
  int concurrency = 32;
  double duration_s = 10;
  double warmup_s = 1;
  std::string label = "run";
  app.add_option("--host", host, "server host name or address")->capture_default_str();
  app.add_option("--port", port, "server port")->required()->check(CLI::Range(1, 65535));
  app.add_option("--path", path,
                 "request target; {seq} in it becomes a fresh id per request (c<connection>-<n>)")
      ->capture_default_str();
  app.add_option("--body", body, "JSON request body")->capture_default_str();
  app.add_option("--concurrency", concurrency, "keep-alive connections, one request in flight each")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--duration", duration_s, "measured seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", warmup_s, "seconds run before measuring")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--label", label, "tag printed in the result line")->capture_default_str();
  std::string idempotency = "none";
  app.add_option("--idempotency-keys", idempotency,
                 "none, unique (a new key per request) or same (one key per connection)")
      ->check(CLI::IsMember({"none", "unique", "same"}))
      ->capture_default_str();
  std::uint64_t products = 0;
  app.add_option("--products", products,
                 "when > 0, each request's body is --body with every {product} replaced by a "
                 "random integer in 1..N (a fresh draw at each occurrence) and every {user} by "
                 "one random integer in 1..100000 (0: --body is sent verbatim)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  std::string expect_status = "2xx";
  app.add_option("--expect-status", expect_status,
                 "comma-separated statuses (201) or classes (2xx) that count as success; any "
                 "other status is an error, counted per status in the result line")
      ->capture_default_str();
  std::vector<std::string> headers;
  app.add_option("--header", headers,
                 "NAME:VALUE sent with every request (an Authorization: Bearer token); repeatable");
  CLI11_PARSE(app, argc, argv);

  const auto expected = parse_expected_statuses(expect_status);
  if (!expected) {
    std::fprintf(stderr,
                 "orderd-load: --expect-status %s: expected a comma-separated list of statuses "
                 "like 200,201 or classes like 2xx\n",
                 expect_status.c_str());
    return 2;
  }
  auto body_template = BodyTemplate::parse(body);
  if (products > 0 && body_template.slots.empty())
    std::fprintf(stderr,
                 "orderd-load: warning: --products %llu, but --body has no {product} or "
                 "{user}: every request sends the same body\n",
                 static_cast<unsigned long long>(products));
  if (products == 0 && !body_template.slots.empty())
    std::fprintf(stderr,
                 "orderd-load: warning: --body has {product} or {user} but --products is "
                 "0: they are sent verbatim\n");

  asio::io_context io(1);  // one thread: the stats need no locks
  auto target = std::make_shared<Target>();
  beast::error_code resolve_ec;
  tcp::resolver resolver(io);
  target->endpoints = resolver.resolve(host, std::to_string(port), resolve_ec);
  if (resolve_ec) {
    std::fprintf(stderr, "orderd-load: cannot resolve %s: %s\n", host.c_str(),
                 resolve_ec.message().c_str());
    return 1;
  }
  target->host_header = host + ":" + std::to_string(port);
  target->path = path;
  target->body = body;
  target->idempotency = idempotency;
  for (const auto& header : headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::fprintf(stderr, "orderd-load: --header %s: expected NAME:VALUE\n", header.c_str());
      return 2;
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    target->headers.emplace_back(header.substr(0, colon), std::move(value));
  }
  target->products = products;
  target->body_template = std::move(body_template);
  target->rng_seed = std::random_device{}();
  target->rng_seed = (target->rng_seed << 32) ^ std::random_device{}();
  target->expected_status = *expected;

  auto to_duration = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  auto stats = std::make_shared<Stats>();
  const auto start = Clock::now();
  stats->measure_from = start + to_duration(warmup_s);
  stats->measure_until = stats->measure_from + to_duration(duration_s);
  target->stop_at = stats->measure_until;
  target->hard_deadline = target->stop_at + std::chrono::seconds(5);

  std::shared_ptr<const Target> shared_target = target;
  for (int i = 0; i < concurrency; ++i)
    asio::co_spawn(io, connection_loop(shared_target, stats), asio::detached);

  // Every stream op already expires at the hard deadline; run_until is the backstop should
  // anything else linger. Coroutines still suspended are destroyed with the io_context.
  io.run_until(target->hard_deadline + std::chrono::milliseconds(500));

  auto& latencies = stats->latencies_us;
  std::sort(latencies.begin(), latencies.end());
  const std::uint64_t requests = latencies.size();
  const std::uint64_t errors = stats->http_errors + stats->connection_errors;
  // Unexpected statuses, if any, close the line as status_NNN=count fields, lowest first.
  std::string by_status;
  for (unsigned s = 0; s < kStatusSlots; ++s) {
    if (stats->unexpected_status[s] == 0) continue;
    by_status += " status_" + std::to_string(s) + "=" + std::to_string(stats->unexpected_status[s]);
  }
  std::printf(
      "label=%s concurrency=%d duration_s=%g requests=%llu errors=%llu rps=%.1f p50_ms=%.2f "
      "p90_ms=%.2f p99_ms=%.2f max_ms=%.2f%s\n",
      label.c_str(), concurrency, duration_s, static_cast<unsigned long long>(requests),
      static_cast<unsigned long long>(errors), static_cast<double>(requests) / duration_s,
      percentile_ms(latencies, 0.50), percentile_ms(latencies, 0.90),
      percentile_ms(latencies, 0.99), latencies.empty() ? 0.0 : latencies.back() / 1000.0,
      by_status.c_str());
  // The breakdown goes to stderr so stdout stays one parseable line.
  std::fprintf(stderr, "orderd-load: http_errors=%llu connection_errors=%llu\n",
               static_cast<unsigned long long>(stats->http_errors),
               static_cast<unsigned long long>(stats->connection_errors));
  std::fflush(stdout);
  return requests > 0 ? 0 : 1;
}
