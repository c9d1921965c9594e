#include "core/runtime/output_publisher.hpp"

#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace agentrt {
namespace {

namespace asio = boost::asio;

bool cancelled(asio::cancellation_state state) { return state.cancelled() != asio::cancellation_type::none; }

}  // namespace

OutputPublisher::OutputPublisher(asio::any_io_executor executor, OutputHub& hub, SessionId session,
                                 std::int64_t last_seq, std::size_t max_pending)
    : hub_(hub),
      session_(std::move(session)),
      max_pending_(max_pending),
      last_durable_seq_(last_seq),
      last_output_seq_(last_seq),
      work_(executor, asio::steady_timer::time_point::max()),
      drained_(executor, asio::steady_timer::time_point::max()) {}

void OutputPublisher::on_event(const SessionId& /*session*/, const Event& event) {
  last_durable_seq_ = event.seq.value;
  auto output = output_event_of(event);
  if (!output) return;
  // Whether or not this one gets out, the next follows it: a subscriber that misses it sees
  // the gap and reads the store.
  output->follows_seq = last_output_seq_;
  last_output_seq_ = output->seq;
  enqueue(std::move(*output));
}

void OutputPublisher::on_token(const SessionId& /*session*/, std::string_view text) {
  auto token = token_event(last_durable_seq_, text);
  token.follows_seq = last_output_seq_;
  enqueue(std::move(token));
}

void OutputPublisher::enqueue(OutputEvent event) {
  if (queue_.size() >= max_pending_) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(event));
  work_.cancel();
}

void OutputPublisher::finish() {
  finished_ = true;
  work_.cancel();
}

asio::awaitable<Result<void>> OutputPublisher::run() {
  for (;;) {
    if (!queue_.empty()) {
      std::vector<OutputEvent> batch;
      batch.swap(queue_);
      const std::size_t count = batch.size();
      publishing_ = true;
      auto published = co_await hub_.publish(session_, std::move(batch));
      publishing_ = false;
      if (published) {
        published_ += count;
      } else {
        // Clients lose latency, not events: they catch up from the store.
        dropped_ += count;
        spdlog::debug("session {}: {} output events not published: {}", session_.str(), count,
                      published.error().to_string());
      }
      continue;
    }
    drained_.cancel();
    if (finished_) co_return ok_result();
    if (cancelled(co_await asio::this_coro::cancellation_state)) break;
    boost::system::error_code ec;
    work_.expires_at(asio::steady_timer::time_point::max());
    co_await work_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (cancelled(co_await asio::this_coro::cancellation_state)) break;
  }
  co_return Error{Errc::cancelled, "output publisher of session " + session_.str() + " stopped"};
}

asio::awaitable<void> OutputPublisher::flush(std::chrono::milliseconds max_wait) {
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  while ((!queue_.empty() || publishing_) && std::chrono::steady_clock::now() < deadline) {
    drained_.expires_at(deadline);
    boost::system::error_code ec;
    co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
  }
}

}  // namespace agentrt
