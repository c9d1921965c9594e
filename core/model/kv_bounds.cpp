#include "core/model/kv_bounds.hpp"

#include "core/model/utf8_sequence.hpp"

namespace agentrt {
namespace {

Error invalid(std::string_view what, const std::string& problem) {
  return Error{Errc::invalid, std::string(what) + ": " + problem};
}

// Where the UTF-8 of `text` breaks, or npos when it is well-formed.
std::size_t bad_utf8_at(std::string_view text) {
  for (std::size_t at = 0; at < text.size();) {
    const auto length = utf8_sequence_length(text, at);
    if (length == 0) return at;
    at += length;
  }
  return std::string_view::npos;
}

// The key as quoted in an error: short keys in full, long ones cut (keys are checked UTF-8
// before they are quoted, and cut on a character boundary).
std::string shown_key(std::string_view key) {
  constexpr std::size_t kShown = 64;
  if (key.size() <= kShown) return "\"" + std::string(key) + "\"";
  std::size_t end = 0;
  while (end < key.size()) {
    const auto length = utf8_sequence_length(key, end);
    if (length == 0 || end + length > kShown) break;
    end += length;
  }
  return "\"" + std::string(key.substr(0, end)) + "…\"";
}

Result<void> check_batch(std::size_t count, std::string_view what) {
  if (count > kKvBatchMax) {
    return invalid(what, std::to_string(count) + " keys in one call, at most " + std::to_string(kKvBatchMax));
  }
  return ok_result();
}

}  // namespace

std::string kv_scope_name(const OrgId& org, const BotId& bot) { return "org=" + org.str() + " bot=" + bot.str(); }

Result<void> check_kv_scope(const OrgId& org, const BotId& bot, std::string_view what) {
  for (const auto* name : {&org.value, &bot.value}) {
    const char* label = name == &org.value ? "org" : "bot";
    if (name->empty() || name->size() > kKvScopeBytesMax) {
      return invalid(what, std::string(label) + " must have 1 to " + std::to_string(kKvScopeBytesMax) + " bytes");
    }
    if (bad_utf8_at(*name) != std::string_view::npos || name->find('\0') != std::string::npos) {
      return invalid(what, std::string(label) + " is not UTF-8 text without NUL");
    }
  }
  return ok_result();
}

Result<void> check_kv_key(std::string_view key, std::string_view what) {
  if (key.empty()) return invalid(what, "empty key");
  if (const auto at = bad_utf8_at(key); at != std::string_view::npos) {
    return invalid(what, "key is not valid UTF-8 (byte " + std::to_string(at) + ")");
  }
  if (key.find('\0') != std::string_view::npos) return invalid(what, "key " + shown_key(key) + " contains NUL");
  if (key.size() > kKvKeyBytesMax) {
    return invalid(what, "key " + shown_key(key) + " has " + std::to_string(key.size()) + " bytes, at most " +
                             std::to_string(kKvKeyBytesMax));
  }
  return ok_result();
}

Result<void> check_kv_keys(const std::vector<std::string>& keys, std::string_view what) {
  if (auto batch = check_batch(keys.size(), what); !batch) return batch;
  for (const auto& key : keys) {
    if (auto checked = check_kv_key(key, what); !checked) return checked;
  }
  return ok_result();
}

Result<void> check_kv_entries(const std::map<std::string, nlohmann::json>& entries, std::string_view what) {
  if (auto batch = check_batch(entries.size(), what); !batch) return batch;
  for (const auto& [key, value] : entries) {
    if (auto checked = check_kv_key(key, what); !checked) return checked;
    auto encoded = encode_kv_value(value, std::string(what) + " key " + shown_key(key));
    if (!encoded) return encoded.error();
  }
  return ok_result();
}

Result<std::string> encode_kv_value(const nlohmann::json& value, std::string_view what) {
  std::string text;
  try {
    text = value.dump();
  } catch (const nlohmann::json::exception&) {
    return invalid(what, "the value has a string that is not valid UTF-8");
  }
  if (text.size() > kKvValueBytesMax) {
    return invalid(what, "the value has " + std::to_string(text.size()) + " bytes as JSON, at most " +
                             std::to_string(kKvValueBytesMax));
  }
  return text;
}

Result<nlohmann::json> decode_kv_value(std::string_view text, std::string_view what) {
  auto value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) return Error{Errc::fatal, std::string(what) + ": the stored value is not JSON"};
  return value;
}

std::string kv_entry_name(const OrgId& org, const BotId& bot, std::string_view key) {
  std::string name = std::to_string(org.str().size());
  name += '#';
  name += org.str();
  name += std::to_string(bot.str().size());
  name += '#';
  name += bot.str();
  name += key;
  return name;
}

namespace {

// Reads "<len>#<len bytes>" at `at`; advances `at`. nullopt when it is not there.
std::optional<std::string> read_length_prefixed(std::string_view name, std::size_t& at) {
  const auto hash = name.find('#', at);
  if (hash == std::string_view::npos || hash == at || hash - at > 3) return std::nullopt;
  std::size_t length = 0;
  for (std::size_t i = at; i < hash; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    length = length * 10 + static_cast<std::size_t>(name[i] - '0');
  }
  if (length == 0 || length > kKvScopeBytesMax || name.size() - (hash + 1) < length) return std::nullopt;
  at = hash + 1 + length;
  return std::string(name.substr(hash + 1, length));
}

}  // namespace

std::optional<KvEntryName> parse_kv_entry_name(std::string_view name) {
  std::size_t at = 0;
  auto org = read_length_prefixed(name, at);
  if (!org) return std::nullopt;
  auto bot = read_length_prefixed(name, at);
  if (!bot) return std::nullopt;
  if (at == name.size() || name.size() - at > kKvKeyBytesMax) return std::nullopt;
  return KvEntryName{OrgId{std::move(*org)}, BotId{std::move(*bot)}, std::string(name.substr(at))};
}

}  // namespace agentrt
