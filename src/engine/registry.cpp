#include "engine/registry.hpp"

#include <stdexcept>

namespace orderd {

const HandlerEntry* Registry::find(std::string_view service, std::string_view handler) const {
  auto it = entries_.find(key(service, handler));
  return it == entries_.end() ? nullptr : &it->second;
}

bool Registry::has_service(std::string_view service) const {
  for (const auto& [k, entry] : entries_)
    if (entry.service == service) return true;
  return false;
}

const HandlerEntry* Registry::workflow_run(std::string_view service) const {
  for (const auto& [k, entry] : entries_)
    if (entry.service == service && entry.kind == HandlerEntry::Kind::kWorkflowRun) return &entry;
  return nullptr;
}

void Registry::attach_same_input(std::string_view service) {
  for (auto& [k, entry] : entries_) {
    if (entry.service == service && entry.kind == HandlerEntry::Kind::kWorkflowRun) {
      entry.attach_same_input = true;
      return;
    }
  }
  throw std::invalid_argument("attach_same_input: '" + std::string(service) +
                              "' has no workflow run handler (register it first)");
}

}  // namespace orderd
