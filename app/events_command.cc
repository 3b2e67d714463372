#include "app/events_command.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <random>

#include "core/commands.h"
#include "core/events.h"

namespace pairgate {

namespace {

std::string line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string make_boot_id() {
  std::random_device rd;
  const std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void add_events_command(CommandRegistry& commands, EventBus& bus, std::string boot) {
  commands.add(
      {.name = "events",
       .summary = "follow the state changes as they happen (since: replay those after a sequence number)",
       .run_async = [&bus, boot](const nlohmann::json& args, const PeerCredentials&, ReplyPtr reply) {
         std::optional<std::uint64_t> since;
         if (auto it = args.find("since"); it != args.end()) {
           if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
             throw CommandError("since: expected a sequence number (an unsigned integer)", control::code::bad_request);
           }
           since = it->get<std::uint64_t>();
         }
         // A reader resuming after a restart: its seq numbers were another
         // daemon's, so everything this one still holds is new to it.
         if (auto b = args.find("boot"); since && b != args.end() && b->is_string() && *b != boot) since = 0;
         if (!reply->write(control::ok_response({{"stream", "events"}, {"boot", boot}, {"last_seq", bus.last_seq()}}))) {
           return;
         }
         if (since) {
           const auto backlog = bus.since(*since);
           if (backlog.missed > 0 && !reply->write(line({{"missed", backlog.missed}, {"after_seq", *since}}))) return;
           for (const auto& e : backlog.events) {
             if (!reply->write(line(to_json(e)))) return;
           }
         }
         // The listener unsubscribes itself once the client is gone or cut
         // loose (write() says so), and on_close covers a client that leaves
         // while nothing happens.
         auto id = std::make_shared<EventBus::SubscriptionId>(0);
         *id = bus.subscribe([&bus, reply, id](const Event& e) {
           if (!reply->write(line(to_json(e)))) bus.unsubscribe(*id);
         });
         reply->on_close([&bus, id] { bus.unsubscribe(*id); });
       }});
}

}  // namespace pairgate
