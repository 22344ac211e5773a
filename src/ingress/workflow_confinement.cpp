#include "ingress/workflow_confinement.hpp"

#include <boost/json/value.hpp>
#include <string>

#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "store/records.hpp"

namespace orderd::http {
namespace {

// W1: the owner field names the caller, as text or as a number written in decimal.
bool names(const boost::json::value& input, const std::string& field, const std::string& subject) {
  const auto* body = input.if_object();
  const boost::json::value* owner = body ? body->if_contains(field) : nullptr;
  if (!owner) return false;
  if (owner->is_string()) return owner->get_string() == subject;
  if (owner->is_int64()) return std::to_string(owner->get_int64()) == subject;
  if (owner->is_uint64()) return std::to_string(owner->get_uint64()) == subject;
  return false;
}

}  // namespace

std::optional<ApiError> confine_to_own_workflow(const Registry& registry, Engine& engine,
                                                const auth::Caller& caller,
                                                const HandlerEntry& entry,
                                                std::string_view object_key,
                                                const boost::json::value& input) {
  if (!caller.owns_only() || !entry.workflow()) return std::nullopt;  // W3
  const std::string* owner_field = registry.workflow_owner_field(entry.service);
  if (!owner_field) return std::nullopt;  // W3
  if (entry.kind == HandlerEntry::Kind::kWorkflowRun) {
    if (names(input, *owner_field, caller.subject)) return std::nullopt;
    return ApiError{ErrorCode::kPermissionDenied,
                    "a customer may " + entry.handler + " only for itself: '" + *owner_field +
                        "' must be its own id",
                    "customer_mismatch"};
  }
  // W2: the run of this key, one for every caller (not scoped by principal), and who started it.
  const std::string key(object_key);
  if (const HandlerEntry* run = registry.workflow_run(entry.service)) {
    if (auto id = engine.find_idempotent(store::idempotency_target(run->service, key, run->handler),
                                         key)) {
      auto origin = engine.origin_of(*id);
      if (origin && origin->principal == caller.principal()) return std::nullopt;
    }
  }
  return ApiError{ErrorCode::kNotFound, entry.service + " '" + key + "' not found",
                  "workflow_not_found"};
}

}  // namespace orderd::http
