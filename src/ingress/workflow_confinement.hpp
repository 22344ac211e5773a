#pragma once
// Customers confined to their own workflows (Registry::confine_workflow): decided by the
// ingress from the registry's declarations, before the request is validated or started.
//
// W1. A customer (auth::Caller::owns_only) calls a confined workflow's run handler only with a
//     body whose owner field (a string, or an integer in decimal) is its subject: another value,
//     or none, is 403 customer_mismatch and nothing is written.
// W2. A customer calls a confined workflow's shared handlers for key K only when K's run was
//     started by the same principal. Otherwise (another's run, or none) it is 404
//     workflow_not_found "<Service> '<K>' not found", the same answer either way, so that a
//     customer cannot tell another customer's workflow from none.
// W3. Admins, services and open callers (authentication off) are not confined, nor is any
//     workflow that was not declared confined.
#include <boost/json/fwd.hpp>
#include <optional>
#include <string_view>

#include "auth/caller.hpp"
#include "ingress/api_error.hpp"

namespace orderd {
class Engine;
class Registry;
struct HandlerEntry;
}  // namespace orderd

namespace orderd::http {

// The refusal W1/W2 demand of `caller` calling `entry` under `object_key` with `input`;
// nullopt when the call may go on.
std::optional<ApiError> confine_to_own_workflow(const Registry& registry, Engine& engine,
                                                const auth::Caller& caller,
                                                const HandlerEntry& entry,
                                                std::string_view object_key,
                                                const boost::json::value& input);

}  // namespace orderd::http
