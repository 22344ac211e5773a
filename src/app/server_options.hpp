#pragma once
// Everything `orderd serve` can be told, with its flag and ORDERD_* environment variable.
#include <string>

#include "auth/jwt_options.hpp"
#include "commerce/api/api_support.hpp"
#include "commerce/events/event_relay.hpp"
#include "commerce/events/event_retention.hpp"
#include "commerce/events/jetstream_publisher.hpp"
#include "commerce/shop.hpp"
#include "engine/engine.hpp"
#include "ingress/front_door.hpp"
#include "ingress/http_server.hpp"
#include "ingress/invocation_routes.hpp"
#include "ingress/rate_limit_options.hpp"
#include "notifications/mailbox.hpp"
#include "services/simulation.hpp"
#include "travel/travel.hpp"

namespace CLI {
class App;
}

namespace orderd::app {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:9070";
  std::string data_dir = "./data";
  std::string sync = "full";  // full: fsync each group commit; normal: survives process crashes
  std::string log_level = "info";
  // One info line per answer on both listeners; off by default, so benchmarks pay nothing.
  bool access_log = false;
  // On SIGTERM/SIGINT, how long callers still waiting for an outcome get before they are answered
  // 503 (their invocations resume at the next start).
  std::int64_t shutdown_grace_ms = 10'000;
  // Threads for blocking side effects (Context::run_on_worker); 0: one per core.
  std::size_t workers = 0;
  services::Simulation simulation;
  // The commerce domain: what a fresh store starts with ("demo", "none" or a JSON file), the
  // mock payment gateway, the fraud rule, how long order POSTs wait for their saga.
  std::string catalog = "demo";
  commerce::ShopOptions shop;
  commerce::api::CommerceRouteOptions commerce_routes;
  // Travel (seed 003): what a fresh store's travel catalog starts with ("demo", "none" or a JSON
  // file, independent of --catalog), and its limits.
  std::string travel_catalog = "demo";
  travel::TravelOptions travel;
  // The outbox's relay to NATS JetStream (none without --nats-url), and how long published
  // events stay in the outbox.
  commerce::JetStreamOptions nats;
  commerce::RelayOptions relay;
  commerce::RetentionOptions event_retention;
  // Who may call (--jwt-*): without a key source orderd runs open, and then only on loopback
  // addresses unless --insecure-open says otherwise.
  auth::JwtOptions jwt;
  bool insecure_open = false;
  http::RateLimitOptions rate_limit;
  http::ServerLimits limits;
  http::FrontDoorOptions front_door;
  EngineOptions engine;
  // The notifications mailbox; its one option is a test's (--mailbox-fail-first).
  notifications::MailboxOptions mailbox;
};

// "HOST:PORT" -> its parts (validated when the option is parsed).
std::string host_of(const std::string& address);
std::uint16_t port_of(const std::string& address);

// Adds the serve options to `command`, each also read from its environment variable.
void add_server_options(CLI::App& command, ServerOptions& options);

}  // namespace orderd::app
