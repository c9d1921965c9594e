#pragma once
// The bounds of the KvStore port (core/ports/kv_store.hpp), checked in this one place by
// every adapter, the HTTP API and the kv tools, so a bound cannot differ between backends.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/error.hpp"
#include "core/model/ids.hpp"

namespace agentrt {

inline constexpr std::size_t kKvScopeBytesMax = 128;        // org and bot names
inline constexpr std::size_t kKvKeyBytesMax = 512;          // one key, UTF-8
inline constexpr std::size_t kKvValueBytesMax = 64 * 1024;  // one value as compact JSON text
inline constexpr std::size_t kKvBatchMax = 250;             // keys or entries in one call

// "kv org=acme bot=support": the context of every KV error message.
std::string kv_scope_name(const OrgId& org, const BotId& bot);

// Errc::invalid with what is wrong, or ok. `what` is e.g. "kv get org=a bot=b".
Result<void> check_kv_scope(const OrgId& org, const BotId& bot, std::string_view what);
Result<void> check_kv_key(std::string_view key, std::string_view what);
Result<void> check_kv_keys(const std::vector<std::string>& keys, std::string_view what);
// Checks every key and value; the encoded values (compact JSON) are what adapters store.
Result<void> check_kv_entries(const std::map<std::string, nlohmann::json>& entries, std::string_view what);

// The name of one entry across every scope: "<len>#org<len>#bot" + key, length-prefixed so
// no two (org, bot, key) share a name. Caches key on it (in process and in Redis) and the
// Redis invalidation messages carry it. parse_kv_entry_name() is its inverse (nullopt: not one).
std::string kv_entry_name(const OrgId& org, const BotId& bot, std::string_view key);
struct KvEntryName {
  OrgId org;
  BotId bot;
  std::string key;
};
std::optional<KvEntryName> parse_kv_entry_name(std::string_view name);

// The stored text of a value (compact JSON; invalid UTF-8 in a string is an error, not replaced).
Result<std::string> encode_kv_value(const nlohmann::json& value, std::string_view what);
// A stored value back; a stored text that does not parse is Errc::fatal (corrupt store).
Result<nlohmann::json> decode_kv_value(std::string_view text, std::string_view what);

}  // namespace agentrt
