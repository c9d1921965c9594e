#include "backends/aws/sqs_inbox_codec.hpp"

#include <nlohmann/json.hpp>

namespace agentrt {
namespace {

// SQS ids: 1 to 128 characters of alphanumerics and punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~).
bool valid_sqs_id(const std::string& id) {
  if (id.empty() || id.size() > kSqsInboxIdBytesMax) return false;
  for (const char c : id) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<std::string> encode_sqs_inbox_body(const SessionId& session, const InboxMessage& message) {
  if (!valid_sqs_id(session.str())) return Error{Errc::invalid, "sqs inbox: session id is not a valid SQS group id"};
  if (!valid_sqs_id(message.id.str())) {
    return Error{Errc::invalid, "sqs inbox: message id must be 1 to 128 printable ASCII characters without spaces"};
  }
  const nlohmann::json body = {{"session", session.str()},
                               {"message_id", message.id.str()},
                               {"text", message.text},
                               {"enqueued_ms", message.enqueued_ms}};
  std::string out = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (out.size() > kSqsInboxBodyBytesMax) {
    return Error{Errc::invalid, "sqs inbox: message of " + std::to_string(out.size()) + " bytes is over SQS's 256 KiB"};
  }
  return out;
}

Result<SqsInboxBody> decode_sqs_inbox_body(std::string_view body) {
  if (body.size() > kSqsInboxBodyBytesMax) return Error{Errc::invalid, "body over 256 KiB"};
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return Error{Errc::invalid, "body is not a JSON object"};
  const auto string_field = [&](const char* name) -> const nlohmann::json* {
    const auto it = parsed.find(name);
    return it != parsed.end() && it->is_string() ? &*it : nullptr;
  };
  const auto* session = string_field("session");
  const auto* id = string_field("message_id");
  const auto* text = string_field("text");
  if (session == nullptr || id == nullptr || text == nullptr) {
    return Error{Errc::invalid, "body lacks a string session, message_id or text"};
  }
  SqsInboxBody out;
  out.session = SessionId{session->get<std::string>()};
  out.message.id = MessageId{id->get<std::string>()};
  out.message.text = text->get<std::string>();
  if (!valid_sqs_id(out.session.str()) || !valid_sqs_id(out.message.id.str())) {
    return Error{Errc::invalid, "body has an empty or invalid session or message_id"};
  }
  const auto enqueued = parsed.find("enqueued_ms");
  if (enqueued != parsed.end() && enqueued->is_number_integer()) out.message.enqueued_ms = enqueued->get<std::int64_t>();
  return out;
}

}  // namespace agentrt
