#pragma once
// NotificationService/SendEmail: a plain, internal service (never exposed on the public
// ingress) that delivers a SendEmail into the mailbox, once: its rows are written by one
// transact step, so a retried or replayed invocation writes them once (M1, mailbox.hpp).
namespace orderd {
class Registry;
}

namespace orderd::notifications {

class Mailbox;

// Registers the handler and declares the mailbox's tables. `mailbox` outlives the engine.
void register_notification_service(Registry& registry, Mailbox& mailbox);

}  // namespace orderd::notifications
