#pragma once
// Internal to backends/http (includes libcurl): one HTTP exchange as a libcurl easy handle,
// its buffers, and a signal the awaiting coroutine waits on. CurlMultiDriver runs it.

#include <array>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <curl/curl.h>

#include "backends/http/http_types.hpp"
#include "core/model/error.hpp"

namespace agentrt {

class CurlMultiDriver;

class CurlTransfer {
 public:
  // Validates the request and configures the easy handle (nothing is sent yet).
  static Result<std::unique_ptr<CurlTransfer>> create(const boost::asio::any_io_executor& ex, HttpRequest request,
                                                      BodyChunkSink on_chunk);
  ~CurlTransfer();  // detaches from its driver first, so an unfinished exchange is aborted
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  [[nodiscard]] CURL* easy() const { return easy_.get(); }
  // Never expires by itself: finish() cancels it, which wakes the waiting coroutine.
  [[nodiscard]] boost::asio::steady_timer& done_signal() { return done_; }
  [[nodiscard]] bool finished() const { return code_.has_value(); }
  // "POST http://host/path": for messages (query and credentials removed).
  [[nodiscard]] const std::string& description() const { return description_; }

  // Driver side: attached while the multi handle runs it; finish() detaches and wakes the waiter.
  void attached_to(std::weak_ptr<CurlMultiDriver> driver) { driver_ = std::move(driver); }
  void detached() { driver_.reset(); }
  void finish(CURLcode code);

  // After finished(): the response, or the error. Rethrows an exception thrown by the sink.
  Result<HttpResponse> take_result();

 private:
  struct EasyCleanup {
    void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
  };
  struct SlistFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  };

  CurlTransfer(const boost::asio::any_io_executor& ex, HttpRequest request, BodyChunkSink on_chunk);
  Result<void> configure();
  Result<void> set_headers();
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
  std::size_t take_body(std::string_view chunk);

  HttpRequest request_;
  BodyChunkSink on_chunk_;
  std::string description_;
  std::unique_ptr<CURL, EasyCleanup> easy_;
  std::unique_ptr<curl_slist, SlistFree> header_list_;
  std::array<char, CURL_ERROR_SIZE> error_buffer_{};
  HttpResponse response_;
  std::size_t body_bytes_ = 0;
  bool over_limit_ = false;
  std::exception_ptr sink_error_;
  std::optional<CURLcode> code_;
  std::weak_ptr<CurlMultiDriver> driver_;  // set while the multi handle runs this transfer
  boost::asio::steady_timer done_;
};

}  // namespace agentrt
