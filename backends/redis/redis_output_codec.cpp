#include "backends/redis/redis_output_codec.hpp"

#include <nlohmann/json.hpp>

namespace agentrt {
namespace {

constexpr int kVersion = 1;

Error bad(const std::string& why) { return Error{Errc::invalid, "output message: " + why}; }

Result<OutputEvent> decode_event(const nlohmann::json& j) {
  if (!j.is_object()) return bad("an event is not an object");
  const auto seq = j.find("seq");
  const auto kind = j.find("kind");
  const auto data = j.find("data");
  const auto durable = j.find("durable");
  const auto follows = j.find("follows_seq");
  if (seq == j.end() || !seq->is_number_integer()) return bad("seq: expected an integer");
  if (kind == j.end() || !kind->is_string() || kind->get_ref<const std::string&>().empty()) return bad("kind: expected a name");
  if (data == j.end() || !data->is_object()) return bad("data: expected an object");
  if (durable == j.end() || !durable->is_boolean()) return bad("durable: expected a boolean");
  if (follows == j.end() || !follows->is_number_integer()) return bad("follows_seq: expected an integer");
  OutputEvent event;
  event.seq = seq->get<std::int64_t>();
  event.kind = kind->get<std::string>();
  event.data = *data;
  event.durable = durable->get<bool>();
  event.follows_seq = follows->get<std::int64_t>();
  if (event.seq < 0 || event.follows_seq < -1) return bad("seq out of range");
  return event;
}

}  // namespace

std::string encode_output_events(const std::vector<OutputEvent>& events) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : events) {
    list.push_back({{"seq", e.seq}, {"kind", e.kind}, {"data", e.data}, {"durable", e.durable}, {"follows_seq", e.follows_seq}});
  }
  return nlohmann::json{{"v", kVersion}, {"events", std::move(list)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<OutputEvent>> decode_output_events(std::string_view payload, OutputCodecLimits limits) {
  bool too_deep = false;
  // nlohmann's parser is iterative; the callback only notes depth (a deep message is refused).
  const auto note_depth = [&too_deep, &limits](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (static_cast<std::size_t>(depth) > limits.max_depth) too_deep = true;
    return !too_deep;
  };
  auto parsed = nlohmann::json::parse(payload, note_depth, false);
  if (too_deep) return bad("nested deeper than " + std::to_string(limits.max_depth));
  if (parsed.is_discarded() || !parsed.is_object()) return bad("not a JSON object");
  const auto version = parsed.find("v");
  if (version == parsed.end() || *version != kVersion) return bad("unknown version");
  const auto events = parsed.find("events");
  if (events == parsed.end() || !events->is_array()) return bad("events: expected an array");
  if (events->size() > limits.max_events) return bad("more than " + std::to_string(limits.max_events) + " events");
  std::vector<OutputEvent> out;
  out.reserve(events->size());
  for (const auto& item : *events) {
    auto event = decode_event(item);
    if (!event) return event.error();
    out.push_back(std::move(event.value()));
  }
  return out;
}

}  // namespace agentrt
