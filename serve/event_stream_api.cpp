#include "serve/event_stream_api.hpp"

#include <utility>

#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include "serve/api_support.hpp"
#include "serve/sse_format.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

bool is_terminal_status(const OutputEvent& event) {
  if (event.kind != "status") return false;
  const auto status = event.data.value("status", "");
  return status == "completed" || status == "failed" || status == "cancelled";
}

}  // namespace

// One client's stream: `covered_` is the seq up to which every history event has been looked
// at (sent when it has an output event). Live events extend it when they follow on from it
// (OutputEvent::follows_seq); anything else is read from the store first.
class EventStreamApi::Pump {
 public:
  Pump(const StreamContext& c, ResponseStream& out, SessionRecord record, std::int64_t from_seq)
      : c_(c), out_(out), record_(std::move(record)), covered_(from_seq) {}

  asio::awaitable<void> run() {
    auto subscription = c_.hub->subscribe(record_.id, c_.options.subscriber);  // before reading the store
    pending_ = "retry: 2000\n\n";
    if (!co_await catch_up()) {
      co_await end_with_error("unavailable", "the store could not be read");
      co_return;
    }
    if (is_terminal(record_.status) && covered_ >= record_.last_seq.value) finished_ = true;
    if (!co_await flush()) co_return;
    while (!finished_ && !out_.stopping()) {
      if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return;
      auto batch = co_await subscription->next(c_.options.poll_interval);
      bool read_ok = true;
      if (!batch) {
        read_ok = co_await catch_up();  // the hub failed: the store is the truth
      } else {
        for (const auto& event : batch->events) {
          if (!co_await apply(event)) {
            read_ok = false;
            break;
          }
          if (finished_) break;
        }
        if (batch->events.empty() && read_ok) read_ok = co_await catch_up();  // quiet: maybe it runs elsewhere
        if (read_ok && batch->overflowed && !finished_) {
          co_await end_with_error("slow_consumer", "the client fell behind the live stream; reconnect with Last-Event-ID");
          co_return;
        }
      }
      if (!read_ok) {
        co_await end_with_error("unavailable", "the store could not be read");
        co_return;
      }
      if (pending_.empty() && Clock::now() - last_write_ >= c_.options.keepalive) pending_ = ": keepalive\n\n";
      if (!co_await flush()) co_return;
    }
  }

 private:
  // Sends a live event if it follows on from what the client has; else reads the store.
  asio::awaitable<bool> apply(const OutputEvent& event) {
    const bool follows_on = event.follows_seq >= 0 && event.follows_seq <= covered_;
    if (event.durable) {
      if (event.seq <= covered_) co_return true;  // already read from the store
      if (!follows_on) co_return co_await catch_up();  // a gap: the store has it (and this one)
      take(event);
      covered_ = event.seq;
      co_return true;
    }
    if (!follows_on && !co_await catch_up()) co_return false;
    if (event.seq >= covered_ && event.follows_seq >= 0 && event.follows_seq <= covered_) take(event);
    co_return true;  // else a stale delta: the store's durable text already replaced it
  }

  // Reads the durable events after covered_ from the store, page by page.
  asio::awaitable<bool> catch_up() {
    for (;;) {
      auto events = co_await c_.store->read_events(record_.id, EventSeq{covered_}, c_.options.page);
      if (!events) {
        spdlog::warn("stream of session {}: store read failed: {}", record_.id.str(), events.error().to_string());
        co_return false;
      }
      for (const auto& e : *events) {
        covered_ = e.seq.value;
        if (auto output = output_event_of(e)) take(*output);
        if (finished_) co_return true;
      }
      if (events->size() < c_.options.page) co_return true;
    }
  }

  void take(const OutputEvent& event) {
    append_sse_frame(pending_, event);
    if (is_terminal_status(event)) finished_ = true;
  }

  asio::awaitable<bool> flush() {
    if (pending_.empty()) co_return true;
    const std::string data = std::move(pending_);
    pending_.clear();
    last_write_ = Clock::now();
    co_return co_await out_.write(data);
  }

  asio::awaitable<void> end_with_error(std::string_view code, std::string_view message) {
    append_sse_error(pending_, code, message, covered_);
    co_await flush();
  }

  const StreamContext& c_;
  ResponseStream& out_;
  SessionRecord record_;
  std::int64_t covered_;
  bool finished_ = false;
  std::string pending_;
  Clock::time_point last_write_ = Clock::now();
};

void EventStreamApi::add_routes(Router& router) {
  router.add("GET", "/v1/sessions/{id}/events",
             [this](const ServerRequest& r, const PathParams& p) { return events(r, p.at("id")); });
}

asio::awaitable<ServerResponse> EventStreamApi::events(const ServerRequest& request, std::string id) {
  auto org = authorise(request, *c_.tokens);
  if (std::holds_alternative<ServerResponse>(org)) co_return std::get<ServerResponse>(std::move(org));
  std::int64_t from_seq = 0;
  if (const auto last_id = request.header("last-event-id"); last_id && !last_id->empty()) {
    const auto parsed = parse_resume_seq(*last_id);
    if (!parsed) co_return json_error(400, "invalid_request", "Last-Event-ID: expected a seq (a non-negative integer)");
    from_seq = *parsed;
  } else if (const auto it = request.query.find("from_seq"); it != request.query.end()) {
    const auto parsed = parse_resume_seq(it->second);
    if (!parsed) co_return json_error(400, "invalid_request", "from_seq: expected a non-negative integer");
    from_seq = *parsed;
  }
  auto record = co_await find_owned_session(*c_.store, std::get<std::string>(org), id);
  if (std::holds_alternative<ServerResponse>(record)) co_return std::get<ServerResponse>(std::move(record));
  auto& r = std::get<SessionRecord>(record);
  if (from_seq > r.last_seq.value) {
    // Past the history (a seq from another session, or history reset since): nothing would
    // ever arrive, so say so instead of streaming silence.
    co_return json_error(409, "seq_ahead", "from seq " + std::to_string(from_seq) + " is past session " + id +
                                               "'s last seq " + std::to_string(r.last_seq.value) +
                                               "; resume from a seq you received from this session, or 0");
  }
  if (open_ >= c_.options.max_streams) {
    ServerResponse busy = json_error(503, "too_many_streams", "this server streams to as many clients as it may; retry");
    busy.headers.emplace_back("Retry-After", "1");
    co_return busy;
  }
  ServerResponse response;
  response.status = 200;
  response.content_type = "text/event-stream; charset=utf-8";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");  // proxies: do not buffer the stream
  // A plain copy capture: GCC 12 mishandles init-captures in lambdas made inside coroutines.
  const SessionRecord session = std::move(r);
  response.stream = [this, session, from_seq](ResponseStream& out) { return pump(out, session, from_seq); };
  co_return response;
}

asio::awaitable<void> EventStreamApi::pump(ResponseStream& out, SessionRecord record, std::int64_t from_seq) {
  ++open_;
  struct Counted {
    std::size_t& open;
    ~Counted() { --open; }
  } counted{open_};
  Pump pump(c_, out, std::move(record), from_seq);
  co_await pump.run();
}

}  // namespace agentrt::serve
