#pragma once
// Strong ids, so a sequence number cannot be passed as an epoch.

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace agentrt {

template <class Tag>
struct StringId {
  std::string value;
  StringId() = default;
  explicit StringId(std::string v) : value(std::move(v)) {}
  [[nodiscard]] const std::string& str() const { return value; }
  [[nodiscard]] bool empty() const { return value.empty(); }
  auto operator<=>(const StringId&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const StringId& id) { return os << id.value; }
};

template <class Tag>
struct IntId {
  std::int64_t value = 0;
  constexpr IntId() = default;
  constexpr explicit IntId(std::int64_t v) : value(v) {}
  auto operator<=>(const IntId&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const IntId& id) { return os << id.value; }
};

using SessionId = StringId<struct SessionIdTag>;
using OrgId = StringId<struct OrgIdTag>;
using BotId = StringId<struct BotIdTag>;
using MessageId = StringId<struct MessageIdTag>;
using EventSeq = IntId<struct EventSeqTag>;     // 1-based position in a session's history
using LeaseEpoch = IntId<struct LeaseEpochTag>; // fencing token: grows at each change of owner

}  // namespace agentrt

template <class Tag>
struct std::hash<agentrt::StringId<Tag>> {
  size_t operator()(const agentrt::StringId<Tag>& id) const noexcept { return std::hash<std::string>{}(id.value); }
};
