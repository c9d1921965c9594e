#include "serve/socketio_client.hpp"

#include <utility>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

#include "core/stream/output_event.hpp"
#include "serve/api_support.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;

json error_json(std::string_view code, std::string_view message) {
  return json{{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
}

// The {"error":{code,message}} of an HTTP API answer (find_owned_session, store errors).
json error_of(const ServerResponse& response) {
  json body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) return json{{"error", body["error"]}};
  return error_json("internal", "internal error");
}

// A string field that must be a valid id ([A-Za-z0-9_.:-], 1..128), or the problem.
std::variant<std::string, json> id_field(const json& args, const char* name) {
  if (!args.contains(name) || !args[name].is_string()) {
    return error_json("invalid_request", std::string(name) + ": required, a string");
  }
  std::string value = args[name].get<std::string>();
  if (auto problem = client_id_problem(value)) return error_json("invalid_request", std::string(name) + " " + *problem);
  return value;
}

}  // namespace

SocketIoClient::SocketIoClient(EngineSession& engine, const SocketIoContext& context, std::string socket_sid)
    : engine_(engine), c_(context), socket_sid_(std::move(socket_sid)) {}

void SocketIoClient::on_message(std::string_view text) {
  if (closed_) return;
  SocketLimits limits;
  limits.max_bytes = c_.options.engine.max_payload_bytes;
  auto packet = decode_socket_packet(text, limits);
  if (!packet) {
    protocol_error(packet.error().message);
    return;
  }
  switch (packet->type) {
    case SocketType::connect:
      on_connect(*packet);
      return;
    case SocketType::disconnect:
      if (packet->nsp == "/") {
        org_.clear();
        stop_joins();
      }
      return;
    case SocketType::event:
      if (org_.empty() || packet->nsp != "/") {
        protocol_error("an event before CONNECT to namespace " + packet->nsp);
        return;
      }
      if (pending_.size() >= c_.options.max_pending_events) {
        protocol_error("more than " + std::to_string(c_.options.max_pending_events) + " events waiting");
        return;
      }
      pending_.push_back(std::move(packet.value()));
      if (!processing_) {
        processing_ = true;
        asio::co_spawn(engine_.executor(), process_events(engine_.shared_from_this()),
                       [](const std::exception_ptr& error) {
                         if (error) spdlog::debug("socket.io: event handling ended by an exception");
                       });
      }
      return;
    case SocketType::ack:
      return;  // the server asks for no acknowledgements
    default:
      protocol_error("unexpected packet type from a client");
      return;
  }
}

void SocketIoClient::on_connect(const SocketPacket& packet) {
  if (packet.nsp != "/") {
    engine_.send_message(encode_socket_packet(
        {SocketType::connect_error, packet.nsp, std::nullopt, json{{"message", "Invalid namespace"}}}));
    return;
  }
  const json& auth = packet.data;
  std::optional<std::string> org;
  if (auth.is_object() && auth.contains("token") && auth["token"].is_string()) {
    org = c_.tokens->org_for(auth["token"].get_ref<const std::string&>());
  }
  if (!org) {
    engine_.send_message(encode_socket_packet(
        {SocketType::connect_error, "/", std::nullopt,
         json{{"message", "unauthorized"}, {"data", {{"code", "unauthorized"}}}}}));
    return;
  }
  org_ = *org;
  engine_.send_message(encode_socket_packet({SocketType::connect, "/", std::nullopt, json{{"sid", socket_sid_}}}));
}

void SocketIoClient::on_close() {
  closed_ = true;
  pending_.clear();
  stop_joins();
}

void SocketIoClient::protocol_error(std::string_view what) {
  spdlog::debug("socket.io {}: protocol error: {}", engine_.sid(), what);
  engine_.close("protocol error: " + std::string(what));
}

void SocketIoClient::stop_joins() {
  for (auto& [session, join] : joins_) join->stopped = true;
  joins_.clear();
}

void SocketIoClient::emit(std::string_view event, json payload) {
  engine_.send_message(
      encode_socket_packet({SocketType::event, "/", std::nullopt, json::array({std::string(event), std::move(payload)})}));
}

void SocketIoClient::ack(const SocketPacket& packet, json payload) {
  if (!packet.ack_id || closed_) return;
  engine_.send_message(encode_socket_packet({SocketType::ack, "/", packet.ack_id, json::array({std::move(payload)})}));
}

asio::awaitable<void> SocketIoClient::process_events(std::shared_ptr<EngineSession> keep) {
  while (!closed_ && !pending_.empty()) {
    SocketPacket packet = std::move(pending_.front());
    pending_.pop_front();
    co_await handle_event(std::move(packet));
  }
  processing_ = false;
  (void)keep;
}

asio::awaitable<void> SocketIoClient::handle_event(SocketPacket packet) {
  const std::string name(event_name(packet));
  const json args = packet.data.size() > 1 ? packet.data[1] : json(nullptr);
  if (name == "join") {
    bool start = false;
    SessionRecord record;
    std::int64_t from_seq = 0;
    json result = co_await join(args, start, record, from_seq);
    ack(packet, std::move(result));
    if (start && !closed_) {
      auto state = std::make_shared<Join>();
      joins_[record.id.str()] = state;
      asio::co_spawn(engine_.executor(), follow(engine_.shared_from_this(), state, std::move(record), from_seq),
                     [](const std::exception_ptr& error) {
                       if (error) spdlog::debug("socket.io: a join ended by an exception");
                     });
    }
  } else if (name == "leave") {
    ack(packet, leave(args));
  } else if (name == "message") {
    json result = co_await message(args);
    ack(packet, std::move(result));
  } else {
    ack(packet, error_json("unknown_event", "unknown event \"" + name + "\"; expected join, leave or message"));
  }
}

asio::awaitable<json> SocketIoClient::join(const json& args, bool& start, SessionRecord& record, std::int64_t& from_seq) {
  if (!args.is_object()) co_return error_json("invalid_request", "join: expected {session, from_seq?}");
  auto session = id_field(args, "session");
  if (std::holds_alternative<json>(session)) co_return std::get<json>(std::move(session));
  const std::string id = std::get<std::string>(std::move(session));
  from_seq = 0;
  if (args.contains("from_seq")) {
    const json& seq = args["from_seq"];
    if (!seq.is_number_integer() || seq.get<std::int64_t>() < 0) {
      co_return error_json("invalid_request", "from_seq: expected a non-negative integer");
    }
    from_seq = seq.get<std::int64_t>();
  }
  if (joins_.count(id) > 0) co_return error_json("already_joined", "session " + id + " is joined already; leave first");
  if (joins_.size() >= c_.options.max_joins) {
    co_return error_json("too_many_joins", "at most " + std::to_string(c_.options.max_joins) + " sessions per client");
  }
  auto found = co_await find_owned_session(*c_.store, org_, id);
  if (std::holds_alternative<ServerResponse>(found)) co_return error_of(std::get<ServerResponse>(found));
  record = std::get<SessionRecord>(std::move(found));
  if (from_seq > record.last_seq.value) {
    co_return error_json("seq_ahead", "from seq " + std::to_string(from_seq) + " is past session " + id + "'s last seq " +
                                          std::to_string(record.last_seq.value));
  }
  if (joins_.count(id) > 0) co_return error_json("already_joined", "session " + id + " is joined already; leave first");
  start = true;
  co_return json{{"ok", true}, {"session", id}};
}

json SocketIoClient::leave(const json& args) {
  if (!args.is_object()) return error_json("invalid_request", "leave: expected {session}");
  auto session = id_field(args, "session");
  if (std::holds_alternative<json>(session)) return std::get<json>(std::move(session));
  const std::string& id = std::get<std::string>(session);
  const auto found = joins_.find(id);
  if (found == joins_.end()) return error_json("not_joined", "session " + id + " is not joined");
  found->second->stopped = true;
  joins_.erase(found);
  return json{{"ok", true}, {"session", id}};
}

asio::awaitable<json> SocketIoClient::message(const json& args) {
  if (!args.is_object()) co_return error_json("invalid_request", "message: expected {session, text, message_id?}");
  auto session = id_field(args, "session");
  if (std::holds_alternative<json>(session)) co_return std::get<json>(std::move(session));
  const std::string id = std::get<std::string>(std::move(session));
  if (!args.contains("text") || !args["text"].is_string() || args["text"].get_ref<const std::string&>().empty()) {
    co_return error_json("invalid_request", "text: required, a non-empty string");
  }
  const std::string text = args["text"].get<std::string>();
  if (text.size() > kMaxMessageText) {
    co_return error_json("invalid_request", "text: longer than " + std::to_string(kMaxMessageText) + " bytes");
  }
  std::string message_id;
  if (args.contains("message_id")) {
    auto given = id_field(args, "message_id");
    if (std::holds_alternative<json>(given)) co_return std::get<json>(std::move(given));
    message_id = std::get<std::string>(std::move(given));
  } else {
    message_id = c_.ids->next("m-");
  }
  auto found = co_await find_owned_session(*c_.store, org_, id);
  if (std::holds_alternative<ServerResponse>(found)) co_return error_of(std::get<ServerResponse>(found));
  const SessionRecord& record = std::get<SessionRecord>(found);
  if (is_terminal(record.status)) {
    co_return error_json("session_finished", "session " + id + " is " + std::string(session_status_name(record.status)) +
                                                 "; it takes no more input");
  }
  InboxMessage inbox{MessageId{message_id}, text, c_.clock->wall_ms()};
  auto delivered = co_await deliver_message(*c_.store, c_.inbox_queue, record.id, std::move(inbox), "");
  if (std::holds_alternative<ServerResponse>(delivered)) co_return error_of(std::get<ServerResponse>(delivered));
  const auto& d = std::get<Delivered>(delivered);
  if (!d.fresh) {
    co_return error_json("duplicate_message", "message id " + message_id + " was already received by this session; nothing changed");
  }
  if (!d.queued && c_.work_arrived) c_.work_arrived(record.id);
  co_return json{{"accepted", true}, {"session", id}, {"message_id", message_id}};
}

asio::awaitable<void> SocketIoClient::follow(std::shared_ptr<EngineSession> keep, std::shared_ptr<Join> state,
                                             SessionRecord record, std::int64_t from_seq) {
  const std::string session = record.id.str();
  OutputFollower follower(*c_.store, *c_.hub, std::move(record), from_seq, c_.options.follow);
  // No cancellation needed: next() returns within poll_interval, and `stopped` is checked then.
  while (!state->stopped && !closed_) {
    FollowStep step = co_await follower.next();
    if (state->stopped || closed_) break;
    for (const auto& event : step.events) {
      json payload = to_json(event);
      payload["session"] = session;
      emit("output", std::move(payload));
    }
    std::string_view problem;
    if (step.end == FollowEnd::slow_consumer || engine_.buffered_bytes() > c_.options.engine.max_buffered_bytes) {
      problem = "slow_consumer";
    } else if (step.end == FollowEnd::unavailable) {
      problem = "unavailable";
    }
    if (!problem.empty()) {
      emit("error", json{{"code", std::string(problem)},
                         {"message", problem == "slow_consumer"
                                         ? "the client fell behind the live stream; join again with from_seq = resume_from"
                                         : "the store could not be read; join again with from_seq = resume_from"},
                         {"session", session},
                         {"resume_from", follower.covered()}});
      break;
    }
    if (step.end != FollowEnd::none) break;  // finished: the terminal status went out
  }
  const auto found = joins_.find(session);
  if (!closed_ && found != joins_.end() && found->second == state) joins_.erase(found);
  (void)keep;
}

}  // namespace agentrt::serve
