#pragma once
// BotCatalog: the definitions a serve process starts new sessions with (config `bots`), which
// a configuration reload replaces as a whole. A request takes the current set once and keeps
// it for its whole handling, so it never sees half of an old set and half of a new one.
// Sessions that already exist are unaffected: each runs the definition it was pinned to
// (stored by content hash), whatever the catalog says later.
// Thread-safe: readers on the event loop or gRPC's threads, the reload on the event loop.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/model/definition.hpp"

namespace agentrt::serve {

using BotDefinitions = std::map<std::string, AgentDefinition>;  // by bot name

class BotCatalog {
 public:
  explicit BotCatalog(BotDefinitions bots) : current_(std::make_shared<const BotDefinitions>(std::move(bots))) {}

  [[nodiscard]] std::shared_ptr<const BotDefinitions> current() const {
    const std::lock_guard lock(mutex_);
    return current_;
  }
  void replace(BotDefinitions bots) {
    auto next = std::make_shared<const BotDefinitions>(std::move(bots));
    const std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const BotDefinitions> current_;
};

}  // namespace agentrt::serve
