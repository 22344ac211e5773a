#pragma once
// ctx.log(): a logger that stays silent while a handler replays journaled steps, so a recovered
// invocation does not print its history twice.
#include <spdlog/spdlog.h>

namespace orderd {

class ReplayAwareLogger {
 public:
  explicit ReplayAwareLogger(bool replaying) : replaying_(replaying) {}

  template <class... Args>
  void debug(spdlog::format_string_t<Args...> fmt, Args&&... args) const {
    if (!replaying_) spdlog::debug(fmt, std::forward<Args>(args)...);
  }
  template <class... Args>
  void info(spdlog::format_string_t<Args...> fmt, Args&&... args) const {
    if (!replaying_) spdlog::info(fmt, std::forward<Args>(args)...);
  }
  template <class... Args>
  void warn(spdlog::format_string_t<Args...> fmt, Args&&... args) const {
    if (!replaying_) spdlog::warn(fmt, std::forward<Args>(args)...);
  }

 private:
  bool replaying_;
};

}  // namespace orderd
