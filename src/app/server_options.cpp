#include "app/server_options.hpp"

#include <CLI/CLI.hpp>

#include "auth/caller.hpp"
#include "common/durations.hpp"

namespace orderd::app {

std::string host_of(const std::string& address) {
  return address.substr(0, address.rfind(':'));
}

std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1)));
}

namespace {

// Authentication, rate limits and quotas (docs/API.md, "Who may do what").
void add_access_options(CLI::App& cmd, ServerOptions& o) {
  cmd.add_option("--jwt-hs256-secret-file", o.jwt.hs256_secret_file,
                 "turns authentication on: HS256 tokens signed with this file's bytes")
      ->envname("ORDERD_JWT_HS256_SECRET_FILE")
      ->check(CLI::ExistingFile);
  cmd.add_option("--jwt-public-key-file", o.jwt.public_key_file,
                 "turns authentication on: RS256 (RSA) or ES256 (EC P-256) tokens, checked with "
                 "this PEM public key")
      ->envname("ORDERD_JWT_PUBLIC_KEY_FILE")
      ->check(CLI::ExistingFile);
  cmd.add_option("--jwt-jwks-file", o.jwt.jwks_file,
                 "turns authentication on: tokens checked with the key of this JWK Set their "
                 "`kid` names (RSA and EC P-256 keys)")
      ->envname("ORDERD_JWT_JWKS_FILE")
      ->check(CLI::ExistingFile);
  cmd.add_option_function<std::string>(
         "--jwt-leeway",
         [&o](const std::string& v) {
           auto ms = v == "0" ? std::optional<std::int64_t>(0) : durations::parse_ms(v);
           if (!ms || *ms < 0) throw CLI::ValidationError("--jwt-leeway", v + " is not a duration");
           o.jwt.leeway_s = *ms / 1000;
         },
         "clock skew allowed on a token's exp and nbf")
      ->envname("ORDERD_JWT_LEEWAY")
      ->default_str("60s");
  cmd.add_option("--jwt-issuer", o.jwt.issuer, "when set, a token's `iss` must be this")
      ->envname("ORDERD_JWT_ISSUER");
  cmd.add_option("--jwt-audience", o.jwt.audience, "when set, a token's `aud` must contain this")
      ->envname("ORDERD_JWT_AUDIENCE");
  cmd.add_option("--jwt-max-token-bytes", o.jwt.max_token_bytes,
                 "longer bearer tokens are refused (token_malformed) before any other work")
      ->envname("ORDERD_JWT_MAX_TOKEN_BYTES")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 20))
      ->capture_default_str();
  cmd.add_flag("--insecure-open", o.insecure_open,
               "without authentication, listen on non-loopback addresses anyway")
      ->envname("ORDERD_INSECURE_OPEN");

  auto rate = [](const char* flag, http::Rate& field) {
    return [flag, &field](const std::string& v) {
      auto per_second = http::parse_rate(v);
      if (!per_second) throw CLI::ValidationError(flag, v + " is not a rate like 50/s or 3000/min");
      field.per_second = *per_second;
    };
  };
  cmd.add_option_function<std::string>(
         "--rate-limit",
         [&o, set = rate("--rate-limit", o.rate_limit.per_caller)](const std::string& v) {
           set(v);
           o.rate_limit.enabled = true;
         },
         "turns rate limits on: each caller's requests per route class (50/s, 3000/min)")
      ->envname("ORDERD_RATE_LIMIT");
  cmd.add_option("--rate-burst", o.rate_limit.per_caller.burst,
                 "how many requests a caller may send at once, above its rate")
      ->envname("ORDERD_RATE_BURST")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option_function<std::vector<std::string>>(
         "--rate-limit-role",
         [&o](const std::vector<std::string>& values) {
           for (const auto& v : values) {
             auto eq = v.find('=');
             auto per_second =
                 eq == std::string::npos ? std::nullopt : http::parse_rate(v.substr(eq + 1));
             if (!per_second || !auth::parse_role(v.substr(0, eq)))
               throw CLI::ValidationError("--rate-limit-role",
                                          v + " is not ROLE=RATE, like service=1000/s");
             o.rate_limit.per_role[v.substr(0, eq)] = {*per_second, 2 * *per_second};
           }
         },
         "a role's own rate, replacing --rate-limit for its callers (service=1000/s); repeatable")
      ->envname("ORDERD_RATE_LIMIT_ROLE");
  cmd.add_option_function<std::string>(
         "--rate-limit-per-address",
         [&o,
          set = rate("--rate-limit-per-address", o.rate_limit.per_address)](const std::string& v) {
           set(v);
           o.rate_limit.per_address.burst = 2 * o.rate_limit.per_address.per_second;
         },
         "with --rate-limit: each client address's requests, before authentication")
      ->envname("ORDERD_RATE_LIMIT_PER_ADDRESS")
      ->default_str("1000/s");
  cmd.add_option("--rate-limit-max-callers", o.rate_limit.max_tracked,
                 "callers and addresses the limiter remembers at once (the least recent are "
                 "forgotten)")
      ->envname("ORDERD_RATE_LIMIT_MAX_CALLERS")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  cmd.add_option("--quota-reservations", o.shop.max_reservations_per_caller,
                 "open API reservations one caller may hold")
      ->envname("ORDERD_QUOTA_RESERVATIONS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--quota-reserved-units", o.shop.max_reserved_units_per_caller,
                 "units one caller may hold in its open reservations")
      ->envname("ORDERD_QUOTA_RESERVED_UNITS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--quota-parked", o.front_door.max_parked_per_caller,
                 "parked invocations one caller may have")
      ->envname("ORDERD_QUOTA_PARKED")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--quota-scheduled", o.front_door.max_scheduled_per_caller,
                 "delayed sends not yet due one caller may have")
      ->envname("ORDERD_QUOTA_SCHEDULED")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace

void add_server_options(CLI::App& cmd, ServerOptions& o) {
  auto listen_valid = [](const std::string& v) -> std::string {
    auto colon = v.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == v.size())
      return "expected HOST:PORT, like 127.0.0.1:8080";
    try {
      if (std::stoul(v.substr(colon + 1)) > 65535) return "port out of range";
    } catch (...) {
      return "port is not a number";
    }
    return {};
  };
  cmd.add_option("--listen", o.listen, "HTTP ingress address (port 0 picks a free port)")
      ->envname("ORDERD_LISTEN")
      ->check(listen_valid)
      ->capture_default_str();
  cmd.add_option("--admin-listen", o.admin_listen,
                 "admin API address: list, inspect and steer invocations (port 0: a free port)")
      ->envname("ORDERD_ADMIN_LISTEN")
      ->check(listen_valid)
      ->capture_default_str();
  cmd.add_option("--data", o.data_dir, "directory of the embedded store (created if missing)")
      ->envname("ORDERD_DATA")
      ->capture_default_str();
  cmd.add_option("--sync", o.sync,
                 "full: fsync every group commit (survives power loss); normal: survives process "
                 "crashes only")
      ->envname("ORDERD_SYNC")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  cmd.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")
      ->envname("ORDERD_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  cmd.add_option("--access-log", o.access_log,
                 "log each answer at info: method, path, status, duration (us), request id")
      ->envname("ORDERD_ACCESS_LOG")
      ->check(CLI::IsMember({"on", "off"}))
      ->default_str("off");
  cmd.add_option("--latency-scale", o.simulation.latency_scale,
                 "multiplies the seed services' simulated latency (0 = none)")
      ->envname("ORDERD_LATENCY_SCALE")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--failure-scale", o.simulation.failure_scale,
                 "multiplies the seed services' transient failure rates (0 = none)")
      ->envname("ORDERD_FAILURE_SCALE")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--max-body-bytes", o.limits.max_body_bytes, "largest request body accepted")
      ->envname("ORDERD_MAX_BODY_BYTES")
      ->capture_default_str();
  cmd.add_option("--max-header-bytes", o.limits.max_header_bytes, "largest request head accepted")
      ->envname("ORDERD_MAX_HEADER_BYTES")
      ->capture_default_str();
  cmd.add_option("--max-connections", o.limits.max_connections,
                 "open connections served at once; more are closed at accept")
      ->envname("ORDERD_MAX_CONNECTIONS")
      ->capture_default_str();
  cmd.add_option("--max-connections-per-address", o.limits.max_connections_per_address,
                 "open connections one client address may hold; more are closed at accept (0: "
                 "no cap)")
      ->envname("ORDERD_MAX_CONNECTIONS_PER_ADDRESS")
      ->capture_default_str();
  cmd.add_option("--linger-max-bytes", o.limits.linger_max_bytes,
                 "after an early 413/431, how much of the rest of the request is read and "
                 "dropped so the client gets the answer")
      ->envname("ORDERD_LINGER_MAX_BYTES")
      ->capture_default_str();
  auto millis = [&cmd](const char* flag, const char* env, std::chrono::milliseconds& field,
                       const char* help) {
    cmd.add_option_function<long>(
           flag, [&field](long v) { field = std::chrono::milliseconds(v); }, help)
        ->envname(env)
        ->check(CLI::PositiveNumber)
        ->default_str(std::to_string(field.count()));
  };
  millis("--header-timeout-ms", "ORDERD_HEADER_TIMEOUT_MS", o.limits.header_timeout,
         "time to receive a request's head (its line and headers) once it has started; a new "
         "connection's first request starts at accept");
  millis("--read-timeout-ms", "ORDERD_READ_TIMEOUT_MS", o.limits.read_timeout,
         "time to receive a request's body once its head has come");
  millis("--idle-timeout-ms", "ORDERD_IDLE_TIMEOUT_MS", o.limits.idle_timeout,
         "how long a kept-alive connection may wait for its next request");
  millis("--write-timeout-ms", "ORDERD_WRITE_TIMEOUT_MS", o.limits.write_timeout,
         "time to send a response");
  millis("--linger-timeout-ms", "ORDERD_LINGER_TIMEOUT_MS", o.limits.linger_timeout,
         "after an early 413/431, how long the rest of the request is read and dropped");
  cmd.add_option("--retry-initial-ms", o.engine.retry.initial_interval_ms,
                 "first retry delay after a transient failure")
      ->envname("ORDERD_RETRY_INITIAL_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--retry-factor", o.engine.retry.factor, "growth of the retry delay")
      ->envname("ORDERD_RETRY_FACTOR")
      ->check(CLI::Range(1.0, 10.0))
      ->capture_default_str();
  cmd.add_option("--retry-max-interval-ms", o.engine.retry.max_interval_ms,
                 "longest delay between two attempts")
      ->envname("ORDERD_RETRY_MAX_INTERVAL_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--retry-max-attempts", o.engine.retry.max_attempts,
                 "attempts before an invocation fails for good")
      ->envname("ORDERD_RETRY_MAX_ATTEMPTS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--max-inflight", o.front_door.max_in_flight,
                 "active invocations (in memory and not parked on a timer, an awakeable or a "
                 "promise; children included) beyond which requests get 503")
      ->envname("ORDERD_MAX_INFLIGHT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--max-parked", o.front_door.max_parked,
                 "parked invocations (waiting on a timer, an awakeable or a promise) beyond which "
                 "requests get 503")
      ->envname("ORDERD_MAX_PARKED")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--max-scheduled", o.front_door.max_scheduled,
                 "delayed sends not yet due (they count against this, not --max-inflight) beyond "
                 "which new delayed sends get 503")
      ->envname("ORDERD_MAX_SCHEDULED")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--unload-after-ms", o.engine.unload_after_ms,
                 "a parked invocation waiting this long drops its coroutine frames, and replays "
                 "from its journal when its step completes (0: never)")
      ->envname("ORDERD_UNLOAD_AFTER_MS")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  auto duration = [&cmd](const char* flag, const char* env, std::int64_t& field,
                         const char* fallback, const char* help) {
    cmd.add_option_function<std::string>(
           flag,
           [&field, flag](const std::string& v) {
             auto ms = durations::parse_ms(v);
             if (!ms || *ms <= 0) throw CLI::ValidationError(flag, v + " is not a duration");
             field = *ms;
           },
           help)
        ->envname(env)
        ->default_str(fallback);
  };
  duration("--idempotency-retention", "ORDERD_IDEMPOTENCY_RETENTION",
           o.engine.idempotency_retention_ms, "24h",
           "how long a finished invocation answers repeats of its idempotency key (24h, PT1H...)");
  duration("--journal-retention", "ORDERD_JOURNAL_RETENTION", o.engine.journal_retention_ms, "24h",
           "how long finished invocations and their journals are kept before the sweeper "
           "deletes them");
  duration("--max-delay", "ORDERD_MAX_DELAY", o.front_door.max_delay_ms, "30d",
           "the longest ?delay= a send may ask for; longer ones get 400");
  cmd.add_option_function<std::string>(
         "--request-timeout",
         [&o](const std::string& v) {
           auto ms = v == "0" ? std::optional<std::int64_t>(0) : durations::parse_ms(v);
           if (!ms) throw CLI::ValidationError("--request-timeout", v + " is not a duration");
           o.front_door.request_timeout_ms = *ms;
         },
         "how long a Restate-style call or attach waits for the outcome before answering 202 "
         "with x-restate-id (0: until the outcome); a Request-Timeout header shortens it")
      ->envname("ORDERD_REQUEST_TIMEOUT")
      ->default_str("0");
  duration("--shutdown-grace", "ORDERD_SHUTDOWN_GRACE", o.shutdown_grace_ms, "10s",
           "on SIGTERM, how long waiting callers get before a 503 (their invocations resume at "
           "the next start)");
  cmd.add_option("--catalog", o.catalog,
                 "what a fresh store starts with: demo (products 1-20 in warehouses main and "
                 "backup), none, or a catalog JSON file (docs/API.md)")
      ->envname("ORDERD_CATALOG")
      ->capture_default_str();
  cmd.add_option("--travel-catalog", o.travel_catalog,
                 "what a fresh store's travel catalog starts with: demo (flights SFO-JFK and more "
                 "around 2024-12-15, hotels in New York and other cities), none, or a travel "
                 "catalog JSON file (docs/API.md)")
      ->envname("ORDERD_TRAVEL_CATALOG")
      ->capture_default_str();
  duration("--travel-hold-ttl", "ORDERD_TRAVEL_HOLD_TTL", o.travel.hold_ttl_ms, "15m",
           "how long a trip's seats and rooms are held before confirmation; the expiry timer "
           "releases them after");
  cmd.add_option("--travel-max-nights", o.travel.limits.max_nights,
                 "nights one hotel stay may have; longer stays fail the trip (invalid_stay)")
      ->envname("ORDERD_TRAVEL_MAX_NIGHTS")
      ->check(CLI::Range(1, 365))
      ->capture_default_str();
  cmd.add_option("--travel-max-party", o.travel.limits.max_party,
                 "passengers on one flight booking and guests in one stay; more fail the trip "
                 "(invalid_party)")
      ->envname("ORDERD_TRAVEL_MAX_PARTY")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  duration("--order-wait", "ORDERD_ORDER_WAIT", o.commerce_routes.order_wait_ms, "5s",
           "how long POST /api/v1/orders waits for the saga before answering 202 + Location");
  cmd.add_option("--max-basket-lines", o.shop.max_basket_lines,
                 "lines an order's or a reservation's basket may have; more are refused (400) "
                 "before any work")
      ->envname("ORDERD_MAX_BASKET_LINES")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  cmd.add_option("--max-warehouses", o.shop.max_warehouses,
                 "warehouses the shop may have; a stock write naming one more is refused (422)")
      ->envname("ORDERD_MAX_WAREHOUSES")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  duration("--sse-heartbeat", "ORDERD_SSE_HEARTBEAT", o.commerce_routes.sse_heartbeat_ms, "15s",
           "an event stream with nothing to send sends a comment after this long");
  cmd.add_option("--max-event-streams", o.commerce_routes.max_event_streams,
                 "event streams (GET /api/v1/events/stream) open at once; more get 503")
      ->envname("ORDERD_MAX_EVENT_STREAMS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--payment-decline-rate", o.shop.gateway.decline_rate,
                 "share of mock authorizations the mock gateway declines (0 to 1)")
      ->envname("ORDERD_PAYMENT_DECLINE_RATE")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_option("--payment-latency-ms", o.shop.gateway.latency_ms,
                 "how long the mock payment gateway takes to answer")
      ->envname("ORDERD_PAYMENT_LATENCY_MS")
      ->check(CLI::Range(0, 600'000))
      ->capture_default_str();
  cmd.add_option("--mock-gateway-state", o.shop.gateway.state_file,
                 "file where the mock payment gateway keeps every operation it carries out, "
                 "so that it outlives orderd's restarts as a real processor does (the same key "
                 "answers the same after a kill -9); empty: in memory only")
      ->envname("ORDERD_MOCK_GATEWAY_STATE");
  duration("--payment-timeout", "ORDERD_PAYMENT_TIMEOUT", o.shop.payment_timeout_ms, "2s",
           "limit of one payment gateway attempt (then it is retried)");
  cmd.add_option("--payment-attempts", o.shop.authorize_attempts,
                 "gateway attempts an authorization gets before the order fails "
                 "(payment_unavailable); captures retry until they succeed")
      ->envname("ORDERD_PAYMENT_ATTEMPTS")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd.add_option("--compensation-attempts", o.shop.compensation_attempts,
                 "gateway attempts a void or a refund gets (with backoff) before its payment is "
                 "marked needs_attention for an operator (GET /api/v1/payments?status=...)")
      ->envname("ORDERD_COMPENSATION_ATTEMPTS")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  duration("--compensation-backoff", "ORDERD_COMPENSATION_BACKOFF", o.shop.compensation_backoff_ms,
           "1s", "wait before a refused void or refund is sent again, doubling (at most 60 s)");
  cmd.add_option("--reservation-expiry-batch", o.shop.expiry_batch,
                 "most reservations one expiry run ends; more due are ended by the next run, at "
                 "once")
      ->envname("ORDERD_RESERVATION_EXPIRY_BATCH")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd.add_option("--gateway-breaker-failures", o.shop.breaker_failures,
                 "consecutive payment gateway failures (no answer) that open its circuit "
                 "breaker: authorizations then fail fast with 503 payment_unavailable; 0: never")
      ->envname("ORDERD_GATEWAY_BREAKER_FAILURES")
      ->check(CLI::Range(0, 1'000'000))
      ->capture_default_str();
  duration("--gateway-breaker-cooldown", "ORDERD_GATEWAY_BREAKER_COOLDOWN",
           o.shop.breaker_cooldown_ms, "30s",
           "how long an open gateway breaker fails fast before it lets one probe through");
  cmd.add_option("--fraud-reject-above", o.shop.fraud_reject_above,
                 "orders whose risk score (0-100) is above this are rejected (fraud_rejected)")
      ->envname("ORDERD_FRAUD_REJECT_ABOVE")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  duration("--reclaim-interval", "ORDERD_RECLAIM_INTERVAL", o.shop.reclaim_interval_ms, "5s",
           "how often holds and payments of owners that ended without settling them (an "
           "operator killed the saga) are released, voided or refunded");
  cmd.add_option("--nats-url", o.nats.url,
                 "relay every outbox event to NATS JetStream at this server (nats://HOST:PORT); "
                 "none when empty")
      ->envname("ORDERD_NATS_URL")
      ->check([](const std::string& url) {
        return url.empty() || url.rfind("nats://", 0) == 0 || url.rfind("tls://", 0) == 0
                   ? std::string()
                   : "must start with nats:// or tls://";
      });
  cmd.add_option("--nats-stream", o.nats.stream,
                 "the JetStream stream events go to (created if missing, subjects orders.> and "
                 "stock.>)")
      ->envname("ORDERD_NATS_STREAM")
      ->check([](const std::string& name) {
        if (name.empty()) return std::string("must not be empty");
        for (char c : name)
          if (c == '.' || c == '*' || c == '>' || c == ' ' || c == '/' || c == '\\')
            return std::string("a stream name has no . * > / \\ or spaces");
        return std::string();
      })
      ->capture_default_str();
  cmd.add_option("--nats-batch", o.relay.batch, "events per JetStream publish batch")
      ->envname("ORDERD_NATS_BATCH")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  duration("--nats-ack-timeout", "ORDERD_NATS_ACK_TIMEOUT", o.nats.ack_timeout_ms, "5s",
           "how long the relay waits for a batch's acks before it retries");
  duration("--event-retention", "ORDERD_EVENT_RETENTION", o.event_retention.retention_ms, "7d",
           "how long events stay in the outbox (with --nats-url: once published) before the "
           "sweep purges them");
  cmd.add_option("--workers", o.workers,
                 "threads for blocking side effects (payment gateways, other databases); 0: one "
                 "per core")
      ->envname("ORDERD_WORKERS")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  add_access_options(cmd, o);
  // For tests, so hidden from --help (an empty group): a mail server failing N times.
  cmd.add_option("--mailbox-fail-first", o.mailbox.fail_first,
                 "for tests: the first N notification deliveries fail (transiently, retried)")
      ->envname("ORDERD_MAILBOX_FAIL_FIRST")
      ->check(CLI::Range(0u, 1'000'000u))
      ->group("");
  cmd.add_option("--audit-log", o.engine.audit_log_path,
                 "append a line per executed step to this file (for audits and tests)")
      ->envname("ORDERD_AUDIT_LOG");
}

}  // namespace orderd::app
