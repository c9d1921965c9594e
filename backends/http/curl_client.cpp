#include "backends/http/curl_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends/http/curl_multi_driver.hpp"
#include "backends/http/curl_transfer.hpp"

namespace agentrt {
namespace asio = boost::asio;

CurlClient::CurlClient(asio::any_io_executor ex) : ex_(std::move(ex)), driver_(CurlMultiDriver::create(ex_)) {}

CurlClient::~CurlClient() = default;

std::size_t CurlClient::active_transfers() const { return driver_->active_transfers(); }

asio::awaitable<Result<HttpResponse>> CurlClient::request(HttpRequest request, BodyChunkSink on_chunk) {
  auto created = CurlTransfer::create(ex_, std::move(request), std::move(on_chunk));
  if (!created) co_return created.error();
  std::unique_ptr<CurlTransfer> transfer = std::move(created).value();
  const Error cancelled{Errc::cancelled, transfer->description() + ": cancelled"};

  // Checked first: co_await on an already-cancelled coroutine would throw instead.
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) co_return cancelled;

  if (auto added = driver_->add(*transfer); !added) co_return added.error();
  // Wakes on finish() (which cancels the signal) or on our own cancellation slot firing.
  (void)co_await transfer->done_signal().async_wait(asio::as_tuple(asio::use_awaitable));
  if (!transfer->finished()) co_return cancelled;  // ~CurlTransfer removes the easy handle
  co_return transfer->take_result();
}

}  // namespace agentrt
