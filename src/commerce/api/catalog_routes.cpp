// Products, stock and reservations (CommerceApi, commerce_api.hpp).
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "commerce/api/commerce_api.hpp"
#include "commerce/api/customer_scope.hpp"
#include "commerce/requests.hpp"
#include "commerce/shop.hpp"
#include "common/durations.hpp"
#include "common/json_writer.hpp"
#include "common/money.hpp"

namespace orderd::commerce::api {
namespace {

constexpr std::int64_t kMaxQuantity = 1'000'000;
constexpr std::int64_t kDefaultTtlSeconds = 600;
constexpr std::int64_t kMaxTtlSeconds = kMaxReservationTtlMs / 1000;  // requests.hpp
static_assert(kMinReservationTtlMs <= 1000, "ttl_seconds starts at 1");

boost::json::value product_view(const Product& p, const ProductLevels* levels) {
  return {{"id", p.id},
          {"sku", p.sku},
          {"name", p.name},
          {"unit_price", p.unit_price},
          {"currency", p.currency},
          {"created_at", durations::format_rfc3339(p.created_at_ms)},
          {"updated_at", durations::format_rfc3339(p.updated_at_ms)},
          {"stock", stock_view(levels)}};
}

std::optional<ProductId> path_id(const http::RouteRequest& request, const char* name) {
  const std::string* text = request.param(name);
  if (!text || text->empty() || text->size() > 18) return std::nullopt;
  for (char c : *text)
    if (c < '0' || c > '9') return std::nullopt;
  const ProductId id = std::stoll(*text);
  return id > 0 ? std::optional<ProductId>(id) : std::nullopt;
}

bool valid_warehouse(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

http::ApiError reservation_not_found(const std::string& id) {
  return {ErrorCode::kNotFound, "reservation " + id + " not found", "reservation_not_found"};
}

http::ApiError product_not_found(const std::string& id) {
  return {ErrorCode::kNotFound, "product " + id + " not found", "product_not_found"};
}

bool digits(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

template <class T>
T decode(const std::string& json_text) {
  return boost::json::value_to<T>(boost::json::parse(json_text));
}

}  // namespace

// The basket of a request: items [{product_id, quantity}], every product in the catalog, at
// most the shop's max_basket_lines of them.
std::vector<BasketItem> read_basket(const Shop& shop, const boost::json::object& body,
                                    Violations& violations, bool required) {
  std::vector<BasketItem> basket;
  const auto* items = body.if_contains("items");
  if (!items || items->is_null()) {
    if (required) violations.push_back({"items", "required", "items is required"});
    return basket;
  }
  if (!items->is_array() || items->as_array().empty()) {
    violations.push_back(
        {"items", "invalid_items", "items must be a non-empty array of {product_id, quantity}"});
    return basket;
  }
  // Before any line is read: a huge basket costs nothing but its parse.
  if (auto too_many = shop.stock.refuse_basket_size(items->as_array().size())) {
    violations.push_back({"items", too_many->reason, too_many->message});
    return basket;
  }
  std::size_t i = 0;
  for (const auto& entry : items->as_array()) {
    const std::string at = "items[" + std::to_string(i++) + "]";
    if (!entry.is_object()) {
      violations.push_back({at, "invalid_item", at + " must be an object"});
      continue;
    }
    const auto& item = entry.as_object();
    auto product = read_id(item, "product_id", at + ".product_id", violations);
    auto quantity = read_count(item, "quantity", at + ".quantity", kMaxQuantity, violations);
    if (product && !shop.catalog.product(*product)) {
      violations.push_back({at + ".product_id", "unknown_product",
                            "product " + std::to_string(*product) + " is not in the catalog"});
      continue;
    }
    if (product && quantity) basket.push_back({*product, *quantity});
  }
  auto merged = merge_basket(basket);
  if (!merged) {  // only with a limit of millions of lines of 1,000,000 units
    violations.push_back({"items", "invalid_quantity", "the quantities' sum overflows"});
    return {};
  }
  return std::move(*merged);
}

void CommerceApi::get_product(const Request& request, Responder respond) {
  auto id = path_id(request, "id");
  const Product* product = id ? shop_.catalog.product(*id) : nullptr;
  if (!product) return respond(request.error(product_not_found(*request.param("id"))));
  auto body = product_view(*product, shop_.stock.ledger().levels(*id));
  invoker_.after_durable([body = std::move(body), respond = std::move(respond)]() mutable {
    respond(json_response(200, body));
  });
}

void CommerceApi::list_products(const Request& request, Responder respond) {
  Violations violations;
  auto page = read_page(request, violations);
  if (page && !page->starting_after.empty() && !digits(page->starting_after))
    violations.push_back({"starting_after", "invalid_cursor", "a cursor is a product id"});
  if (page && !page->ending_before.empty() && !digits(page->ending_before))
    violations.push_back({"ending_before", "invalid_cursor", "a cursor is a product id"});
  if (!page || !violations.empty()) return respond(request.error(validation_failed(violations)));
  // The catalog is in memory, in id order: ascending pages (the one list that is not newest
  // first: a catalog reads in its own order).
  const auto& products = shop_.catalog.products();
  boost::json::array data;
  bool has_more = false;
  if (!page->ending_before.empty()) {
    auto end = products.lower_bound(std::atoll(page->ending_before.c_str()));
    std::vector<const Product*> taken;
    for (auto it = end; it != products.begin() && taken.size() <= page->limit;)
      taken.push_back(&(--it)->second);
    has_more = taken.size() > page->limit;
    if (has_more) taken.pop_back();
    for (auto it = taken.rbegin(); it != taken.rend(); ++it)
      data.push_back(product_view(**it, shop_.stock.ledger().levels((*it)->id)));
  } else {
    auto it = page->starting_after.empty()
                  ? products.begin()
                  : products.upper_bound(std::atoll(page->starting_after.c_str()));
    for (; it != products.end(); ++it) {
      if (data.size() == page->limit) {
        has_more = true;
        break;
      }
      data.push_back(product_view(it->second, shop_.stock.ledger().levels(it->first)));
    }
  }
  boost::json::value body{{"data", std::move(data)}, {"has_more", has_more}};
  invoker_.after_durable([body = std::move(body), respond = std::move(respond)]() mutable {
    respond(json_response(200, body));
  });
}

void CommerceApi::put_product(const Request& request, Responder respond) {
  auto id = path_id(request, "id");
  if (!id) {
    return respond(request.error(
        validation_failed({{"id", "invalid_id", "a product id is a positive integer"}})));
  }
  http::ApiError bad;
  auto body = json_body(request, bad);
  if (!body) return respond(request.error(bad));
  Violations violations;
  auto name = read_text(*body, "name", "name", 200, violations);
  auto sku = read_text(*body, "sku", "sku", 64, violations);
  std::optional<std::int64_t> price;
  if (const auto* p = body->if_contains("unit_price"); p && p->is_int64() && p->get_int64() >= 0)
    price = p->get_int64();
  else
    violations.push_back({"unit_price", "invalid_amount",
                          "unit_price must be a non-negative integer of minor units (cents)"});
  auto currency_text = read_text(*body, "currency", "currency", 3, violations, false);
  std::optional<std::string> currency = parse_currency(currency_text.value_or("USD"));
  if (!currency)
    violations.push_back({"currency", "invalid_currency", "currency must be an ISO 4217 code"});
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));

  PutProduct put{*id, *sku, *name, *price, *currency};
  InvokeRequest invoke{"Catalog", "put_product", json::dump(boost::json::value_from(put))};
  const ProductId product_id = *id;
  invoker_.call(
      request, std::move(invoke), invoker_.options().write_wait_ms,
      [this, &request, product_id, respond = std::move(respond)](Invoker::Reply reply) mutable {
        respond(answer_write(request, reply, json_response(202, {{"id", product_id}}),
                             [this](const std::string& output) {
                               Product product = decode<Product>(output);
                               // Created by this put (the same on a replay): 201.
                               const bool created = product.created_at_ms == product.updated_at_ms;
                               return json_response(
                                   created ? 201 : 200,
                                   product_view(product, shop_.stock.ledger().levels(product.id)));
                             }));
      });
}

void CommerceApi::put_stock(const Request& request, Responder respond) {
  auto id = path_id(request, "id");
  if (!id || !shop_.catalog.product(*id))
    return respond(request.error(product_not_found(*request.param("id"))));
  const std::string warehouse = *request.param("warehouse");
  http::ApiError bad;
  auto body = json_body(request, bad);
  if (!body) return respond(request.error(bad));
  Violations violations;
  if (!valid_warehouse(warehouse)) {
    violations.push_back({"warehouse", "invalid_warehouse",
                          "a warehouse is 1 to 64 letters, digits, '_', '-' or '.'"});
  }
  const bool set = body->contains("on_hand"), restock = body->contains("restock");
  std::optional<std::int64_t> quantity;
  if (set == restock) {
    violations.push_back({"on_hand", "one_of_required", "give exactly one of on_hand, restock"});
  } else if (set) {
    const auto& v = body->at("on_hand");
    if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= (std::int64_t{1} << 53))
      quantity = v.get_int64();
    else
      violations.push_back({"on_hand", "invalid_quantity", "on_hand must be an integer >= 0"});
  } else {
    quantity = read_count(*body, "restock", "restock", std::int64_t{1} << 53, violations);
  }
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));

  SetStock change{*id, warehouse, restock, *quantity};
  InvokeRequest invoke{"Stock", "set", json::dump(boost::json::value_from(change))};
  const ProductId product_id = *id;
  invoker_.call(
      request, std::move(invoke), invoker_.options().write_wait_ms,
      [this, &request, product_id, respond = std::move(respond)](Invoker::Reply reply) mutable {
        respond(answer_write(request, reply, json_response(202, {{"id", product_id}}),
                             [this, product_id](const std::string& output) {
                               // The levels as this change left them (later changes may
                               // already be in memory).
                               ProductLevels levels = decode<ProductLevels>(output);
                               return json_response(
                                   200, product_view(*shop_.catalog.product(product_id), &levels));
                             }));
      });
}

void CommerceApi::create_reservation(const Request& request, Responder respond) {
  http::ApiError bad;
  auto body = json_body(request, bad);
  if (!body) return respond(request.error(bad));
  Violations violations;
  std::vector<BasketItem> basket = read_basket(shop_, *body, violations, true);
  std::int64_t ttl_s = kDefaultTtlSeconds;
  if (body->contains("ttl_seconds")) {
    auto ttl = read_count(*body, "ttl_seconds", "ttl_seconds", kMaxTtlSeconds, violations);
    if (ttl) ttl_s = *ttl;
  }
  std::string owner = "anonymous";
  // C2: a customer's reservation is its own; without user_id it is held for the customer.
  const auto confined = confined_user(request);
  if (body->contains("user_id")) {
    if (auto user = read_id(*body, "user_id", "user_id", violations)) {
      if (confined && *user != *confined)
        return respond(request.error(user_id_mismatch(*user, *confined)));
      owner = reservation_owner(*user);
    }
  } else if (confined) {
    owner = reservation_owner(*confined);
  }
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));

  CreateReservation create{std::move(basket), ttl_s * 1000, owner};
  // Quotas per caller (shop.hpp, Q3): the handler enforces them on the invocation's principal;
  // only the caller's role, which the invocation does not record, exempts an admin.
  create.quota_exempt = request.caller.has(auth::Role::kAdmin);
  InvokeRequest invoke{"Reservations", "create", json::dump(boost::json::value_from(create))};
  invoker_.call(request, std::move(invoke), invoker_.options().write_wait_ms,
                [&request, respond = std::move(respond)](Invoker::Reply reply) mutable {
                  // A refusal is answered as itself, before any id is derived: it may name no
                  // invocation (a bad Idempotency-Key, an overload).
                  if (reply.kind == Invoker::Reply::Kind::kRefused)
                    return respond(request.error(reply.refusal));
                  const std::string id = reservation_id_for(reply.invocation_id);
                  const std::string location = "/api/v1/reservations/" + id;
                  http::Response pending = json_response(202, {{"id", id}, {"status", "pending"}});
                  pending.headers.emplace_back("location", location);
                  http::Response r = answer_write(
                      request, reply, std::move(pending), [](const std::string& output) {
                        return json_response(201, reservation_view(decode<Reservation>(output)));
                      });
                  if (r.status == 201) r.headers.emplace_back("location", location);
                  respond(std::move(r));
                });
}

void CommerceApi::get_reservation(const Request& request, Responder respond) {
  const std::string& id = *request.param("id");
  const auto confined = confined_user(request);
  // C3: another user's reservation is an unknown one.
  auto visible = [&](const Reservation& r) {
    return !confined || owns_reservation(shop_, r, *confined);
  };
  if (const Reservation* held = shop_.stock.held(id); held && visible(*held)) {
    auto body = reservation_view(*held);
    return invoker_.after_durable([body = std::move(body), respond = std::move(respond)]() mutable {
      respond(json_response(200, body));
    });
  }
  if (auto stored = shop_.stock.read_reservation(id); stored && visible(*stored))
    return respond(json_response(200, reservation_view(*stored)));
  respond(request.error(reservation_not_found(id)));
}

void CommerceApi::release_reservation(const Request& request, Responder respond) {
  const std::string& id = *request.param("id");
  const Reservation* held = shop_.stock.held(id);
  std::optional<Reservation> stored;
  if (!held) stored = shop_.stock.read_reservation(id);
  if (!held && !stored) return respond(request.error(reservation_not_found(id)));
  // C3: another user's reservation is an unknown one, and nothing is released.
  if (const auto confined = confined_user(request);
      confined && !owns_reservation(shop_, held ? *held : *stored, *confined))
    return respond(request.error(reservation_not_found(id)));
  ReservationRef ref{id, 0};
  InvokeRequest invoke{"Reservations", "release", json::dump(boost::json::value_from(ref))};
  invoker_.call(request, std::move(invoke), invoker_.options().write_wait_ms,
                [&request, id, respond = std::move(respond)](Invoker::Reply reply) mutable {
                  respond(answer_write(request, reply, json_response(202, {{"id", id}}),
                                       [](const std::string& output) {
                                         return json_response(
                                             200, reservation_view(decode<Reservation>(output)));
                                       }));
                });
}

}  // namespace orderd::commerce::api
