#include "backends/otel/otlp_exporter.hpp"

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace agentrt {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kResponseBytesMax = 64 * 1024;
constexpr auto kWarningEvery = std::chrono::seconds(60);
constexpr std::size_t kBytesPerSpanReservedMin = 256;
constexpr std::size_t kBytesPerSpanReservedMax = 4096;

bool retryable_status(long status) { return status == 429 || status == 502 || status == 503 || status == 504; }

// OTLP/HTTP: a 200 may still report spans the collector refused (partialSuccess).
std::uint64_t rejected_spans(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object()) return 0;
  const auto partial = parsed.find("partialSuccess");
  if (partial == parsed.end() || !partial->is_object()) return 0;
  const auto rejected = partial->find("rejectedSpans");
  if (rejected == partial->end()) return 0;
  if (rejected->is_number_unsigned()) return rejected->get<std::uint64_t>();
  if (rejected->is_string()) {
    try {
      return std::stoull(rejected->get<std::string>());
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

}  // namespace

OtlpExporter::OtlpExporter(asio::any_io_executor executor, OtlpExporterOptions options)
    : executor_(executor),
      options_(std::move(options)),
      client_(std::make_unique<CurlClient>(executor)),
      timer_(executor),
      alive_(std::make_shared<OtlpExporter*>(this)) {}

OtlpExporter::~OtlpExporter() = default;

void OtlpExporter::export_span(Span span) {
  bool post_wake = false;
  {
    const std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queue) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(span));
    queued_.fetch_add(1, std::memory_order_relaxed);
    if (queue_.size() + carried_ >= options_.max_batch && !wake_posted_) post_wake = wake_posted_ = true;
  }
  if (post_wake) wake();
}

void OtlpExporter::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
}

void OtlpExporter::wake() {
  asio::post(executor_, [alive = std::weak_ptr<OtlpExporter*>(alive_)] {
    if (const auto self = alive.lock()) (*self)->timer_.cancel();
  });
}

OtlpExporterStats OtlpExporter::stats() const {
  return {queued_.load(), exported_.load(), dropped_.load(), failed_.load()};
}

std::vector<Span> OtlpExporter::take_queued() {
  std::vector<Span> taken;
  taken.reserve(options_.max_batch);  // becomes the new queue: allocated before the lock
  const std::lock_guard lock(mutex_);
  taken.swap(queue_);
  return taken;
}

asio::awaitable<void> OtlpExporter::run() {
  for (;;) {
    bool wait = false;
    {
      const std::lock_guard lock(mutex_);
      // No wait after a stop() or when a full batch came while the last ones were sent: the
      // wake it posted then found no timer waiting. Otherwise from here a full batch posts a
      // wake again (it runs on this executor, so after the wait below has begun). Clearing the
      // flag only after the wait let a batch that filled during a send wait out the interval,
      // with the queue overflowing meanwhile (serve_bench dropped a quarter of its spans).
      wait = !stopping_ && queue_.size() + carried_ < options_.max_batch;
      if (wait) wake_posted_ = false;
    }
    bool interval_passed = false;
    if (wait) {
      timer_.expires_after(options_.interval);
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      interval_passed = !ec;  // not cut short by a wake (a full batch) or a stop
    }
    bool stopping = false;
    {
      const std::lock_guard lock(mutex_);
      stopping = stopping_;
    }
    co_await send_queued(interval_passed || stopping);
    if (stopping) co_return;
  }
}

asio::awaitable<void> OtlpExporter::send_queued(bool partial_too) {
  for (;;) {
    auto taken = take_queued();
    if (carry_.empty()) {
      carry_.swap(taken);
    } else {
      carry_.insert(carry_.end(), std::make_move_iterator(taken.begin()), std::make_move_iterator(taken.end()));
    }
    const std::size_t count = partial_too ? carry_.size() : carry_.size() / options_.max_batch * options_.max_batch;
    if (count == 0) {
      // From here the spans queued complete a batch with the carried ones: that wakes run().
      const std::lock_guard lock(mutex_);
      carried_ = carry_.size();
      co_return;
    }
    const std::span<const Span> pending(carry_.data(), count);
    for (std::size_t at = 0; at < count; at += options_.max_batch) {
      co_await send(pending.subspan(at, std::min(options_.max_batch, count - at)));
    }
    carry_.erase(carry_.begin(), carry_.begin() + static_cast<std::ptrdiff_t>(count));
  }
}

HttpRequest OtlpExporter::export_request(std::span<const Span> batch) {
  HttpRequest request;
  request.method = "POST";
  request.url = options_.endpoint;
  request.headers = options_.headers;
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = encode_otlp_traces(options_.resource, batch, bytes_per_span_);
  request.timeout = options_.timeout;
  request.response_bytes_max = kResponseBytesMax;
  request.truncate_body = true;
  if (!batch.empty()) {
    // Room for the next batch: this one's size per span and an eighth more, within bounds (one
    // span with a long error message must not make every later batch reserve megabytes).
    const std::size_t per_span = request.body.size() / batch.size();
    bytes_per_span_ = std::clamp(per_span + per_span / 8, kBytesPerSpanReservedMin, kBytesPerSpanReservedMax);
  }
  return request;
}

asio::awaitable<void> OtlpExporter::send(std::span<const Span> batch) {
  const auto count = static_cast<std::uint64_t>(batch.size());
  std::string problem;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    // The request (its body is some hundred KiB) moves into the transfer: a copy per attempt
    // was a fresh allocation, its page faults and a memmove. The rare retry encodes again.
    auto response = co_await client_->request(export_request(batch));
    if (response && response->status >= 200 && response->status < 300) {
      const auto rejected = std::min(count, rejected_spans(response->body));
      exported_.fetch_add(count - rejected, std::memory_order_relaxed);
      if (rejected == 0) co_return;
      failed_.fetch_add(rejected, std::memory_order_relaxed);
      problem = std::to_string(rejected) + " of " + std::to_string(count) + " spans rejected by the collector";
      break;
    }
    bool retry = false;
    if (response) {
      problem = "HTTP " + std::to_string(response->status);
      retry = retryable_status(response->status);
    } else {
      problem = response.error().to_string();
      retry = response.error().code == Errc::retryable || response.error().code == Errc::timeout;
    }
    if (!retry || attempt == 2) {
      failed_.fetch_add(count, std::memory_order_relaxed);
      break;
    }
    asio::steady_timer pause(executor_, options_.retry_delay);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  const auto now = std::chrono::steady_clock::now();
  if (last_warning_ == std::chrono::steady_clock::time_point{} || now - last_warning_ >= kWarningEvery) {
    last_warning_ = now;
    const auto totals = stats();
    spdlog::warn("tracing: export of {} spans failed: {} (so far {} spans failed, {} dropped)", count, problem,
                 totals.failed, totals.dropped);
  }
}

}  // namespace agentrt
