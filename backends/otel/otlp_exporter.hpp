#pragma once
// OtlpExporter: a SpanSink that batches spans and sends them as OTLP/JSON over HTTP
// (POST <endpoint>, by default http://127.0.0.1:4318/v1/traces) through the shared libcurl
// multi driver.
//
// - export_span() never blocks and never fails the runtime: it appends to a bounded queue
//   (max_queue); when the queue is full the span is dropped and counted. run() takes the whole
//   queue at once, so at most max_queue more spans wait while those are sent (and fewer than
//   max_batch taken ones wait for the next batch).
// - run() (co_spawn it on the exporter's executor) sends full batches of max_batch spans as
//   soon as they are queued, and what is left (a partial batch) once the interval passes with
//   no full batch. Under load each request then carries a full batch: sending whatever queued
//   while the last request was out made batches of ~150 spans, and a request costs the
//   exporter about as much CPU as encoding 400 spans (libcurl, syscalls, wakeups).
// - A rejected export (HTTP 429, 502, 503, 504 or a transport error) is tried once more after
//   retry_delay; then its spans are counted as failed. Failures are logged at most once a minute, without header values (an
//   OTLP vendor's API key travels in a header).
// - stop() asks run() to send what is queued (one last try, bounded by the request timeout)
//   and return (a busy collector still gets its retry). Thread-safe: export_span() and stop() may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "backends/http/curl_client.hpp"
#include "backends/http/http_types.hpp"
#include "backends/otel/otlp_json.hpp"
#include "core/ports/span_sink.hpp"

namespace agentrt {

struct OtlpExporterOptions {
  std::string endpoint;  // the full URL of the traces endpoint
  HttpHeaders headers{};  // e.g. an API key for a vendor's collector; never logged
  OtlpResource resource{};
  std::size_t max_queue = 8192;
  std::size_t max_batch = 512;
  std::chrono::milliseconds interval{1'000};
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds retry_delay{1'000};
};

struct OtlpExporterStats {
  std::uint64_t queued = 0;    // spans accepted
  std::uint64_t exported = 0;  // spans the collector accepted
  std::uint64_t dropped = 0;   // spans refused because the queue was full
  std::uint64_t failed = 0;    // spans lost to a failed export
};

class OtlpExporter final : public SpanSink {
 public:
  OtlpExporter(boost::asio::any_io_executor executor, OtlpExporterOptions options);
  ~OtlpExporter() override;
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void export_span(Span span) override;
  boost::asio::awaitable<void> run();
  void stop();
  [[nodiscard]] OtlpExporterStats stats() const;

 private:
  // Sends the queued spans in batches of max_batch; the rest, fewer, only if `partial_too`
  // (else they wait in carry_ for the next batch).
  boost::asio::awaitable<void> send_queued(bool partial_too);
  boost::asio::awaitable<void> send(std::span<const Span> batch);
  HttpRequest export_request(std::span<const Span> batch);
  // Takes every queued span in one swap: the lock is held for O(1), never while spans are
  // moved, so export_span() on the event loop does not wait behind a batch being taken out
  // (this thread runs at a lower priority: it could be preempted holding the lock).
  std::vector<Span> take_queued();
  void wake();

  boost::asio::any_io_executor executor_;
  OtlpExporterOptions options_;
  std::unique_ptr<CurlClient> client_;
  boost::asio::steady_timer timer_;  // touched on executor_ only
  std::size_t bytes_per_span_ = kOtlpBytesPerSpanGuess;  // reserved per span of a batch; executor_ only
  std::vector<Span> carry_;  // taken from queue_, fewer than max_batch, not yet sent; executor_ only

  mutable std::mutex mutex_;
  std::vector<Span> queue_;  // at most max_queue; what run() took out is being sent
  std::size_t carried_ = 0;  // carry_.size() when run() last looked: queued ones that complete a batch wake it
  bool wake_posted_ = false;
  bool stopping_ = false;

  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::chrono::steady_clock::time_point last_warning_{};
  // Pending posts of wake() hold this, so a post that runs after destruction does nothing.
  std::shared_ptr<OtlpExporter*> alive_;
};

}  // namespace agentrt
