#pragma once
// DynamoDB attribute values, keys and expressions of the agentrt table (the layout is in
// backends/aws/README.md, "DynamoDB table design").

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/ids.hpp"

namespace agentrt::dynamodb {

using Item = nlohmann::json;  // {"name": {"S": "..."}, ...}

inline constexpr std::int64_t kSchemaVersion = 1;
// DynamoDB items are at most 400 KB; a string attribute longer than this is split into part
// items written in the same transaction (never truncated).
inline constexpr std::size_t kPartBytesMax = 350 * 1024;
inline constexpr std::size_t kTransactItemsMax = 100;                   // DynamoDB's limit
inline constexpr std::size_t kTransactBytesMax = 4 * 1024 * 1024 - 64 * 1024;  // 4 MB, with room for the envelope

nlohmann::json attr_s(std::string_view value);
nlohmann::json attr_n(std::int64_t value);
std::optional<std::string> get_s(const Item& item, const char* name);
std::optional<std::int64_t> get_n(const Item& item, const char* name);
std::string get_s_or(const Item& item, const char* name, std::string fallback = {});
std::int64_t get_n_or(const Item& item, const char* name, std::int64_t fallback = 0);

// Keys: a session's items share pk "S#<id>"; sk tells what each is.
std::string session_pk(const SessionId& id);
std::string padded(std::int64_t value, int width = 20);
std::string event_sk(std::int64_t seq);                    // "E#<seq>"
std::string part_sk(const std::string& owner_sk, std::int64_t part);  // "<owner>#P#<part>"
std::string archived_sk(std::int64_t branch, std::int64_t seq);      // "A#<branch>#E#<seq>"
std::string message_sk(const MessageId& id);               // "M#<id>": pending inbox message
std::string dedup_sk(const MessageId& id);                 // "D#<id>": seen, forever
inline constexpr const char* kMetaSk = "META";
inline constexpr const char* kCheckpointSk = "C";
std::string definition_pk(const std::string& hash);        // "D#<hash>", sk "DEF"
inline constexpr const char* kDefinitionSk = "DEF";
inline constexpr const char* kSchemaPk = "SCHEMA";
inline constexpr const char* kSchemaSk = "VERSION";
Item key(const std::string& pk, const std::string& sk);

// Splits text into pieces of at most kPartBytesMax bytes at UTF-8 character boundaries.
std::vector<std::string> split_utf8(const std::string& text, std::size_t bytes_max = kPartBytesMax);

// Builds the names and values of one expression: name("status") -> "#status",
// value(attr_n(3)) -> ":v0". Every attribute name goes through name(), so DynamoDB's long
// list of reserved words never matters.
class Expr {
 public:
  std::string name(const std::string& attribute);
  std::string value(nlohmann::json attribute_value);
  // Adds ExpressionAttributeNames/Values to `request` (only those used).
  void apply(nlohmann::json& request) const;

 private:
  std::map<std::string, std::string> names_;
  nlohmann::json values_ = nlohmann::json::object();
};

// Approximate size of an item as DynamoDB counts it (names + values), for the 4 MB check.
std::size_t item_bytes(const Item& item);

}  // namespace agentrt::dynamodb
