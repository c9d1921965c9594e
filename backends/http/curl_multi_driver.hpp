#pragma once
// Internal to backends/http (includes libcurl): drives one libcurl multi handle from an Asio
// executor. libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
// wake it (CURLMOPT_TIMERFUNCTION); we wait with stream_descriptor::async_wait and a
// steady_timer and call curl_multi_socket_action when they fire. Nothing here blocks.
//
// Sockets stay owned by libcurl: a watch wraps curl's descriptor and releases it (never
// closes it) on CURL_POLL_REMOVE, which libcurl sends before it closes a socket.
// Everything runs on one executor (or strand); not thread-safe.

#include <cstddef>
#include <memory>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <curl/curl.h>

#include "core/model/error.hpp"

namespace agentrt {

class CurlTransfer;

class CurlMultiDriver : public std::enable_shared_from_this<CurlMultiDriver> {
 public:
  static std::shared_ptr<CurlMultiDriver> create(boost::asio::any_io_executor ex);
  ~CurlMultiDriver();
  CurlMultiDriver(const CurlMultiDriver&) = delete;
  CurlMultiDriver& operator=(const CurlMultiDriver&) = delete;

  // Starts the transfer; its finish() is called when it completes (on this executor).
  Result<void> add(CurlTransfer& transfer);
  // Aborts a running transfer (finish() is not called). No-op when it already finished.
  void remove(CurlTransfer& transfer);
  [[nodiscard]] std::size_t active_transfers() const { return active_; }

 private:
  struct MultiCleanup {
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
  };
  struct SocketWatch;

  explicit CurlMultiDriver(boost::asio::any_io_executor ex);
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  int watch_socket(curl_socket_t fd, int what);
  void forget_socket(curl_socket_t fd);
  void arm(const std::shared_ptr<SocketWatch>& watch);
  void socket_ready(const std::shared_ptr<SocketWatch>& watch, int curl_select, bool failed);
  void socket_action(curl_socket_t fd, int curl_select);
  void collect_finished();

  boost::asio::any_io_executor ex_;
  std::unique_ptr<CURLM, MultiCleanup> multi_;
  boost::asio::steady_timer timer_;
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets_;
  std::size_t active_ = 0;
};

}  // namespace agentrt
