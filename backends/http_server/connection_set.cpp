#include "backends/http_server/connection_set.hpp"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends/http_server/http_connection.hpp"

namespace agentrt {

ConnectionSet::ConnectionSet(boost::asio::any_io_executor executor)
    : changed_(std::move(executor), boost::asio::steady_timer::time_point::max()) {}

void ConnectionSet::insert(HttpConnection& connection, bool counted) {
  members_.insert(&connection);
  if (counted) ++counted_;
}

void ConnectionSet::erase(HttpConnection& connection, bool counted) {
  members_.erase(&connection);
  if (counted) --counted_;
  if (members_.empty()) changed_.cancel();
}

// Neither close_if_idle() nor abort() runs a completion inline, so members_ does not change
// while we iterate.
void ConnectionSet::drain() {
  draining_ = true;
  for (HttpConnection* connection : members_) connection->close_if_idle();
}

void ConnectionSet::abort_all() {
  draining_ = true;
  for (HttpConnection* connection : members_) connection->abort();
}

boost::asio::awaitable<void> ConnectionSet::wait_until_empty() {
  while (!members_.empty()) {
    auto [ec] = co_await changed_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)ec;  // always operation_aborted: erase() emptied the set, or we were cancelled
    const auto state = co_await boost::asio::this_coro::cancellation_state;
    if (state.cancelled() != boost::asio::cancellation_type::none) co_return;
  }
}

}  // namespace agentrt
