// Payments (CommerceApi, commerce_api.hpp; docs/API.md, "Payments"): an order's ledger, the
// payments that need an operator (P3, payments/payment_ledger.hpp), and an operator's retry.
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "commerce/api/commerce_api.hpp"
#include "commerce/api/customer_scope.hpp"
#include "commerce/orders/order_payment.hpp"
#include "commerce/shop.hpp"
#include "common/durations.hpp"
#include "common/json_writer.hpp"

namespace orderd::commerce::api {
namespace {

boost::json::value text_or_null(const std::string& text) {
  return text.empty() ? boost::json::value(nullptr) : boost::json::value(text);
}

boost::json::value order_of(const std::string& owner) {
  auto order_id = order_of_payment_owner(owner);
  return order_id ? boost::json::value(*order_id) : boost::json::value(nullptr);
}

// One gateway operation as the payments API shows it.
boost::json::value payment_record_view(const payments::PaymentRecord& r) {
  return {{"id", r.id},
          {"owner", r.owner},
          {"order_id", order_of(r.owner)},
          {"type", payments::to_string(r.type)},
          {"status", payments::to_string(r.status)},
          {"amount", r.amount},
          {"currency", r.currency},
          {"gateway_reference", r.reference},
          {"gateway_key", r.gateway_key},
          {"message", text_or_null(r.message)},
          {"reason", text_or_null(r.reason)},
          {"created_at", durations::format_rfc3339(r.created_at_ms)}};
}

// One owner's payment as the payments API shows it.
boost::json::value payment_view(const payments::Payment& p) {
  return {{"id", p.id()},
          {"owner", p.owner},
          {"order_id", order_of(p.owner)},
          {"status", payments::to_string(p.status)},
          {"amount", p.amount},
          {"currency", p.currency},
          {"refusals", p.refusals},
          {"message", text_or_null(p.message)},
          {"updated_at", durations::format_rfc3339(p.updated_at_ms)}};
}

http::ApiError unknown_payment(const std::string& id) {
  return {ErrorCode::kNotFound, "payment " + id + " not found", "unknown_payment"};
}

// The operators' views (payments needing attention, retries) are admin's alone: an open caller
// (authentication off, A1) or an admin. The same refusal the role check gives a route (R2).
bool operator_caller(const http::RouteRequest& request) {
  return request.caller.open || request.caller.has(auth::Role::kAdmin);
}

}  // namespace

void CommerceApi::list_payments(const Request& request, Responder respond) {
  const std::string* order_id = request.query_param("order_id");
  const std::string* status = request.query_param("status");
  if (status && !operator_caller(request)) {
    return respond(request.error({ErrorCode::kPermissionDenied,
                                  "listing payments by status is for operators (admin)",
                                  "insufficient_role"}));
  }
  Violations violations;
  if (order_id && status) {
    violations.push_back({"status", "conflicting_filters", "give order_id or status, not both"});
  } else if (!order_id && !status) {
    violations.push_back(
        {"order_id", "required", "order_id (an order's id) or status=needs_attention is required"});
  } else if (order_id && !is_order_id(*order_id)) {
    violations.push_back({"order_id", "required", "order_id (an order's id) is required"});
  } else if (status && *status != "needs_attention") {
    violations.push_back(
        {"status", "invalid_status", "status must be needs_attention (the only one listed)"});
  }
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));
  if (order_id) return list_payments_of_order(request, *order_id, std::move(respond));
  list_payments_needing_attention(request, std::move(respond));
}

void CommerceApi::list_payments_of_order(const Request& request, const std::string& order_id,
                                         Responder respond) {
  // C3: the ledger of another user's order is answered as an unknown order's: empty. Payments
  // are listed per order, so the order's own row is the one check (it is stored before any
  // payment is).
  if (const auto confined = confined_user(request)) {
    auto order = shop_.orders.read_order(order_id);
    if (!order || !owns_order(*order, *confined))
      return respond(json_response(200, {{"data", boost::json::array{}}, {"has_more", false}}));
  }
  auto range = store::prefix_range(payments::PaymentLedger::kRecordsTable,
                                   payment_owner(order_id) + "/", 100);
  invoker_.engine().scan_rows(
      std::move(range), [&request, respond = std::move(respond)](
                            std::optional<std::vector<store::Row>> rows) mutable {
        if (!rows)
          return respond(request.error({ErrorCode::kUnavailable, "the store could not be read"}));
        boost::json::array data;
        for (const auto& row : *rows)
          data.push_back(payment_record_view(
              boost::json::value_to<payments::PaymentRecord>(boost::json::parse(row.value))));
        respond(json_response(200, {{"data", std::move(data)}, {"has_more", false}}));
      });
}

void CommerceApi::list_payments_needing_attention(const Request& request, Responder respond) {
  // The ledger's memory, read once what it holds is durable (nothing a crash could take back).
  invoker_.after_durable([this, respond = std::move(respond)]() mutable {
    boost::json::array data;
    for (const payments::Payment& p : shop_.payments.ledger().needs_attention())
      data.push_back(payment_view(p));
    respond(json_response(200, {{"data", std::move(data)}, {"has_more", false}}));
  });
}

void CommerceApi::retry_payment(const Request& request, Responder respond) {
  const std::string id = *request.param("id");
  // A settled payment is not in memory: read it back (PaymentDesk::recall).
  if (auto owner = payments::owner_of_payment_id(id)) shop_.payments.recall(*owner);
  const payments::Payment* payment = shop_.payments.ledger().payment_by_id(id);
  if (!payment) return respond(request.error(unknown_payment(id)));
  if (const std::string* key = request.idempotency_key();
      key && !http::FrontDoor::valid_idempotency_key(*key)) {
    return respond(request.error(
        validation_failed({{"Idempotency-Key", "invalid_idempotency_key",
                            "Idempotency-Key must have 1 to 255 printable characters"}})));
  }
  // One retry per owner at a time (exclusive): a second waits for the first and finds the
  // payment no longer needing attention (409), unless it repeats the first's Idempotency-Key.
  const std::string owner = payment->owner;
  InvokeRequest invoke{"Payments", "retry", "{}"};
  invoke.object_key = owner;
  invoker_.call(
      request, std::move(invoke), invoker_.options().write_wait_ms,
      [&request, id, owner, respond = std::move(respond)](Invoker::Reply reply) mutable {
        // While it runs: its id, and where its order's ledger shows how it goes.
        http::Response pending = json_response(202, {{"id", id}, {"status", "retrying"}});
        if (auto order_id = order_of_payment_owner(owner))
          pending.headers.emplace_back("location", "/api/v1/payments?order_id=" + *order_id);
        pending.headers.emplace_back("retry-after", "1");
        respond(answer_write(request, reply, std::move(pending), [](const std::string& output) {
          return json_response(
              200,
              payment_view(boost::json::value_to<payments::Payment>(boost::json::parse(output))));
        }));
      });
}

}  // namespace orderd::commerce::api
