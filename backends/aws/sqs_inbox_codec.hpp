#pragma once
// The body of an inbox message on SQS: {"session","message_id","text","enqueued_ms"} (JSON).
// decode() bounds and validates what comes from the queue (anyone with send rights can put
// anything there); its errors never quote the text.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/model/error.hpp"
#include "core/model/ids.hpp"
#include "core/model/session.hpp"

namespace agentrt {

// SQS takes at most 256 KiB per message; the body's JSON escaping must fit too.
inline constexpr std::size_t kSqsInboxBodyBytesMax = 256 * 1024;
inline constexpr std::size_t kSqsInboxIdBytesMax = 128;  // SQS's MessageDeduplicationId/MessageGroupId limit

struct SqsInboxBody {
  SessionId session;
  InboxMessage message;
};

// Errc::invalid when the ids do not fit SQS's limits or the body is too large.
Result<std::string> encode_sqs_inbox_body(const SessionId& session, const InboxMessage& message);
// Errc::invalid with what is wrong (not JSON, a missing field, too large), without the text.
Result<SqsInboxBody> decode_sqs_inbox_body(std::string_view body);

}  // namespace agentrt
