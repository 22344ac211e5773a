#include "app/serve.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "app/server_options.hpp"
#include "commerce/api/commerce_api.hpp"
#include "commerce/catalog/catalog_file.hpp"
#include "commerce/events/event_feed.hpp"
#include "commerce/events/event_relay.hpp"
#include "commerce/events/event_retention.hpp"
#include "commerce/events/jetstream_publisher.hpp"
#include "commerce/shop.hpp"
#include "common/json_writer.hpp"
#include "engine/asio_scheduler.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "engine/worker_pool.hpp"
#include "ingress/admin_routes.hpp"
#include "ingress/authentication.hpp"
#include "ingress/front_door.hpp"
#include "ingress/http_server.hpp"
#include "ingress/invocation_routes.hpp"
#include "ingress/rate_limit.hpp"
#include "ingress/route_walk.hpp"
#include "notifications/mailbox.hpp"
#include "notifications/notification_routes.hpp"
#include "notifications/notification_service.hpp"
#include "services/seed_services.hpp"
#include "store/sqlite_store.hpp"
#include "travel/travel.hpp"

namespace orderd::app {

namespace {

// A fresh store starts with the demo catalog, a catalog file, or nothing (--catalog).
void seed_catalog(orderd::commerce::Shop& shop, orderd::Engine& engine, const std::string& catalog,
                  std::int64_t now_ms) {
  if (catalog == "none") return;
  if (!shop.catalog.empty()) {
    if (catalog != "demo")
      spdlog::info("--catalog {}: the store has a catalog, kept as it is", catalog);
    return;
  }
  orderd::commerce::CatalogSpec spec;
  if (catalog == "demo") {
    spec = orderd::commerce::demo_catalog();
  } else {
    std::ifstream file(catalog);
    if (!file) throw std::runtime_error("--catalog " + catalog + ": cannot read the file");
    std::stringstream text;
    text << file.rdbuf();
    spec = orderd::commerce::parse_catalog(text.str());
  }
  engine.write_rows(seed_rows(shop, spec, now_ms), [] {});
  spdlog::info("catalog {}: {} products in {} warehouses", catalog, spec.products.size(),
               shop.catalog.warehouses().size());
}

// 127.0.0.0/8, ::1 and "localhost": where an open orderd may listen without --insecure-open.
bool loopback(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// The refusal to start, or empty: one key source at most; open only on loopback addresses
// unless the operator says --insecure-open (A1 in auth/caller.hpp).
std::string access_refusal(const ServerOptions& options) {
  const auto& jwt = options.jwt;
  const int sources =
      !jwt.hs256_secret_file.empty() + !jwt.public_key_file.empty() + !jwt.jwks_file.empty();
  if (sources > 1)
    return "give one of --jwt-hs256-secret-file, --jwt-public-key-file and --jwt-jwks-file";
  if (jwt.enabled() || options.insecure_open) return {};
  for (const std::string* address : {&options.listen, &options.admin_listen}) {
    if (!loopback(host_of(*address)))
      return "refusing to listen on " + *address +
             " without authentication: give a --jwt-* key (docs/API.md), or --insecure-open to "
             "run open anyway";
  }
  return {};
}

// A fresh store's travel catalog: the demo, a file, or nothing (--travel-catalog).
void seed_travel(orderd::travel::Travel& travel, orderd::Engine& engine,
                 const std::string& catalog) {
  if (catalog == "none") return;
  if (!travel.inventory.empty()) {
    if (catalog != "demo")
      spdlog::info("--travel-catalog {}: the store has a travel catalog, kept as it is", catalog);
    return;
  }
  orderd::travel::TravelCatalogSpec spec;
  if (catalog == "demo") {
    spec = orderd::travel::demo_travel_catalog();
  } else {
    std::ifstream file(catalog);
    if (!file) throw std::runtime_error("--travel-catalog " + catalog + ": cannot read the file");
    std::stringstream text;
    text << file.rdbuf();
    spec = orderd::travel::parse_travel_catalog(text.str());
  }
  engine.write_rows(seed_travel_rows(travel, spec), [] {});
  spdlog::info("travel catalog {}: {} flights, {} hotels", catalog, spec.flights.size(),
               spec.hotels.size());
}

}  // namespace

int serve(const ServerOptions& options, const ExtraServices& register_extra) {
  if (std::string refusal = access_refusal(options); !refusal.empty()) {
    std::fprintf(stderr, "orderd: %s\n", refusal.c_str());
    return 2;
  }
  // The keys, read before anything starts: a key that cannot be trusted stops orderd here (K2 in
  // auth/jwt_keys.hpp). One verifier for both listeners.
  std::shared_ptr<orderd::http::Middleware> authentication;
  if (options.jwt.enabled()) {
    try {
      authentication =
          orderd::http::make_authentication(std::make_shared<const orderd::auth::JwtVerifier>(
              orderd::auth::JwtVerifier::load(options.jwt)));
    } catch (const orderd::auth::JwtKeyError& e) {
      std::fprintf(stderr, "orderd: %s\n", e.what());
      return 2;
    }
  }
  if (options.shop.gateway.latency_ms >= options.shop.payment_timeout_ms) {
    // Every attempt would time out, and captures retry until they succeed: refuse to start.
    std::fprintf(stderr,
                 "orderd: --payment-latency-ms (%lld) must be below --payment-timeout (%lld ms)\n",
                 static_cast<long long>(options.shop.gateway.latency_ms),
                 static_cast<long long>(options.shop.payment_timeout_ms));
    return 2;
  }
  // Logs go to stderr: stdout carries only the "listening" line scripts wait for.
  spdlog::set_default_logger(spdlog::stderr_color_mt("orderd"));
  std::signal(SIGPIPE, SIG_IGN);
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  std::filesystem::create_directories(options.data_dir);
  const std::string db_path = (std::filesystem::path(options.data_dir) / "orderd.db").string();

  boost::asio::io_context io(1);  // one thread runs the ingress and the engine: no locks needed
  auto store = orderd::store::open_sqlite_store({db_path, options.sync == "full"});
  auto scheduler = orderd::make_asio_scheduler(io);
  orderd::Registry registry;
  orderd::services::register_seed_services(registry, options.simulation);
  orderd::commerce::Shop shop(options.shop);
  shop.register_services(registry);
  // Trips pay on the shop's payment ledger (one desk, one gateway, one breaker).
  orderd::travel::Travel travel(options.travel, shop.payments);
  travel.register_services(registry);
  orderd::commerce::EventRelay::register_tables(registry);
  // The mailbox keeps nothing in memory: its listing reads the rows on demand.
  orderd::notifications::Mailbox mailbox(options.mailbox);
  orderd::notifications::register_notification_service(registry, mailbox);
  if (register_extra) register_extra(registry);
  // Declared before the engine, so it outlives it: a worker may still be finishing an effect.
  const std::size_t worker_count =
      options.workers > 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  auto workers = orderd::make_thread_pool(worker_count);
  orderd::EngineOptions engine_options = options.engine;
  engine_options.workers = workers.get();
  auto engine = std::make_unique<orderd::Engine>(*scheduler, *store, registry, engine_options);
  shop.attach(*engine, *scheduler);
  shop.load(*store);  // memory as the rows say, before anything replays
  seed_catalog(shop, *engine, options.catalog, scheduler->now_ms());
  travel.attach(*engine, *scheduler);
  travel.load(*store);
  seed_travel(travel, *engine, options.travel_catalog);
  std::size_t recovered = engine->recover();
  shop.reclaim.run();  // orders killed before the restart
  shop.reclaim.every(options.shop.reclaim_interval_ms);
  // Wakes the outbox's readers (the SSE streams, the relay) when events are durable.
  orderd::commerce::EventFeed event_feed(*engine, *scheduler, shop.outbox);
  // The relay to NATS JetStream, with --nats-url. The publisher's thread outlives the relay (it
  // is declared first); what it answers late only reaches the scheduler (event_relay.cpp).
  std::unique_ptr<orderd::commerce::JetStreamPublisher> publisher;
  std::unique_ptr<orderd::commerce::EventRelay> relay;
  if (!options.nats.url.empty()) {
    publisher = std::make_unique<orderd::commerce::JetStreamPublisher>(options.nats);
    relay = std::make_unique<orderd::commerce::EventRelay>(*engine, *scheduler, event_feed,
                                                           *publisher, options.relay);
    relay->start();
  }
  std::function<std::uint64_t()> published_through;
  if (relay) published_through = [&relay] { return relay->published_through(); };
  orderd::commerce::EventRetention event_retention(*engine, *scheduler, options.event_retention,
                                                   std::move(published_through));
  engine->add_sweeper([&event_retention] { event_retention.sweep(); });

  // Each listener's middleware chain (ingress/middleware.hpp). The seams left empty here
  // (metrics) cost nothing until an issue fills them. Authentication and the rate limits
  // (ingress/rate_limit.hpp, with --rate-limit) are shared: one of each for both listeners, so a
  // caller's requests count the same wherever they arrive.
  std::shared_ptr<orderd::http::Middleware> address_limit, caller_limit;
  if (options.rate_limit.enabled) {
    address_limit = orderd::http::make_address_limit(options.rate_limit);
    caller_limit = orderd::http::make_caller_limit(options.rate_limit);
  }
  auto chain = [&options, &authentication, &address_limit, &caller_limit] {
    orderd::http::ChainOptions chain_options{options.access_log, {}, {}, {}};
    chain_options.address_limit = address_limit;
    chain_options.authentication = authentication;
    chain_options.caller_limit = caller_limit;
    return chain_options;
  };
  // The one way in for every route family: keys, callers, bounds, deadlines, hang-ups.
  orderd::http::FrontDoor front_door(*engine, *scheduler, registry, options.front_door);
  orderd::http::InvocationRoutes routes(front_door, registry, chain());
  routes.add_health_detail("events", [&] {
    auto id = [](std::uint64_t sequence) {
      std::string out;
      if (sequence == 0) return std::string("null");
      orderd::json::append_string(out, orderd::commerce::Outbox::event_id(sequence));
      return out;
    };
    return "{\"emitted_through\":" + id(event_feed.emitted_through()) +
           ",\"durable_through\":" + id(event_feed.durable_through()) +
           ",\"relay\":" + (relay ? relay->health_json() : std::string("null")) + "}";
  });
  routes.add_health_detail("payments", [&] {
    const orderd::payments::BreakerStatus breaker = shop.payments.breaker_status();
    return std::string("{\"breaker\":{\"state\":\"") +
           std::string(orderd::payments::to_string(breaker.state)) +
           "\",\"consecutive_failures\":" + std::to_string(breaker.consecutive_failures) +
           ",\"opened_at_ms\":" + std::to_string(breaker.opened_at_ms) + "},\"needs_attention\":" +
           std::to_string(shop.payments.ledger().needs_attention().size()) + "}";
  });
  // Domain routes (the /api family), before the listener serves.
  orderd::commerce::api::CommerceApi commerce_api(shop, front_door, *scheduler, event_feed,
                                                  options.commerce_routes);
  commerce_api.add_routes(routes.router());
  orderd::notifications::NotificationRoutes notification_routes(*engine);
  notification_routes.add_routes(routes.router());
  orderd::http::AdminRoutes admin_routes(*engine, chain());
  // R1: no route may be left to the defaults (route_access.hpp); a mistake found here, at start.
  for (const orderd::http::Router* router :
       {static_cast<const orderd::http::Router*>(&routes.router()), &admin_routes.router()}) {
    if (auto undeclared = orderd::http::undeclared_routes(*router); !undeclared.empty())
      throw std::logic_error("routes without declared roles: " + undeclared.front());
  }
  orderd::http::Server server(io, orderd::app::host_of(options.listen),
                              orderd::app::port_of(options.listen), routes, options.limits);
  orderd::http::Server admin(io, orderd::app::host_of(options.admin_listen),
                             orderd::app::port_of(options.admin_listen), admin_routes,
                             options.limits);

  // Graceful shutdown, on SIGTERM or SIGINT (a second one stops at once):
  //  1. stop accepting, close idle connections, refuse new work with 503;
  //  2. give callers waiting for an outcome the grace period, then answer them 503;
  //  3. once every connection has sent its last answer and closed (or 2 s after the grace), stop
  //     the loop; the engine's last batch is flushed and the store closed below. Unfinished
  //     invocations resume at the next start.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer drain_timer(io);
  using Clock = std::chrono::steady_clock;
  Clock::time_point grace_end, hard_end;
  std::function<void()> drain_step = [&] {
    const auto now = Clock::now();
    const bool callers_waiting = engine->waiting_callers() > 0;
    if (callers_waiting && now >= grace_end) {
      spdlog::info("shutdown: answering {} waiting callers 503", engine->waiting_callers());
      engine->release_waiting_callers(
          503, "orderd is shutting down; the invocation resumes after the restart: ");
    }
    const bool drained = server.open_connections() + admin.open_connections() == 0;
    if ((!callers_waiting || now >= grace_end) && (drained || now >= hard_end)) {
      io.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(10));
    drain_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) drain_step();
    });
  };
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (grace_end != Clock::time_point{}) {
          spdlog::info("signal {} again: stopping now", signal);
          io.stop();
          return;
        }
        spdlog::info("signal {}: draining for up to {} ms", signal, options.shutdown_grace_ms);
        grace_end = Clock::now() + std::chrono::milliseconds(options.shutdown_grace_ms);
        hard_end = grace_end + std::chrono::seconds(2);
        server.stop();
        admin.stop();
        routes.drain();
        signals.async_wait(on_signal);
        drain_step();
      };
  signals.async_wait(on_signal);

  spdlog::info("store {} ({} unfinished invocations resumed)", db_path, recovered);
  // Printed on stdout, flushed: scripts and tests wait for this line to know the port.
  std::printf("orderd listening on http://%s:%u\n", orderd::app::host_of(options.listen).c_str(),
              server.port());
  std::printf("orderd admin listening on http://%s:%u\n",
              orderd::app::host_of(options.admin_listen).c_str(), admin.port());
  std::fflush(stdout);
  io.run();
  // In this order: the engine hands its last batch to the store, which makes everything queued
  // durable before the process exits. Unfinished invocations resume at the next start.
  engine.reset();
  store->close();
  return 0;
}

int run(int argc, char** argv, const ExtraServices& register_extra) {
  CLI::App app{"orderd: a durable, concurrent order-processing engine with an HTTP ingress"};
  app.require_subcommand(1);
  ServerOptions options;
  auto* serve_cmd = app.add_subcommand("serve", "run the engine and its HTTP ingress");
  add_server_options(*serve_cmd, options);
  CLI11_PARSE(app, argc, argv);
  try {
    if (serve_cmd->parsed()) return serve(options, register_extra);
  } catch (const std::exception& e) {
    spdlog::error("orderd: {}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace orderd::app
