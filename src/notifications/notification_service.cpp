#include "notifications/notification_service.hpp"

#include <variant>

#include "engine/registry.hpp"
#include "notifications/mailbox.hpp"

namespace orderd::notifications {
namespace {

Task<Sent> send_email(Mailbox* mailbox, Context& ctx, SendEmail request) {
  // The id and the time are decided inside the step: a replay returns the recorded Sent, so it
  // names the notification the live run wrote.
  Sent sent = ctx.transact("deliver", [&](WriteSet& writes) -> Sent {
    const std::int64_t now_ms = ctx.clock_ms();
    auto delivered =
        mailbox->deliver(request, notification_id_for(ctx.invocation_id(), now_ms), now_ms, writes);
    if (auto* error = std::get_if<Error>(&delivered)) throw TerminalError(*error);
    return Sent{std::get<Notification>(delivered).id};
  });
  co_return sent;
}

}  // namespace

void register_notification_service(Registry& registry, Mailbox& mailbox) {
  registry.add_table(Mailbox::kTable);
  registry.add_table(Mailbox::kIndexTable);
  Mailbox* box = &mailbox;
  // A plain lambda that hands the mailbox to the coroutine by value (registry.hpp).
  registry.add<SendEmail, Sent>(
      "NotificationService", "SendEmail",
      [box](Context& ctx, SendEmail r) { return send_email(box, ctx, std::move(r)); });
}

}  // namespace orderd::notifications
