#include "backends/otel/otlp_export_thread.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

namespace agentrt {
namespace {

// Makes the calling thread a batch thread (SCHED_BATCH: when it wakes, for a full batch of
// spans, it waits for the running thread's time slice to end instead of preempting it, so the
// event loop is not cut off mid-step for the half millisecond an export takes) and lowers its
// CPU priority by `increment` nice levels (at most to 19). Linux keeps both per thread; neither
// needs privilege. A failure only costs the runtime some CPU under saturation, so it is logged
// and ignored.
void lower_own_priority(int increment) {
  const sched_param no_priority{};
  if (sched_setscheduler(0, SCHED_BATCH, &no_priority) != 0) {
    spdlog::debug("tracing: could not make the span exporter thread a batch thread (errno {})", errno);
  }
  const auto self = static_cast<id_t>(::gettid());
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, self);
  if (errno != 0) return;
  if (setpriority(PRIO_PROCESS, self, std::min(current + increment, 19)) != 0) {
    spdlog::debug("tracing: could not lower the span exporter thread's CPU priority (errno {})", errno);
  }
}

}  // namespace

OtlpExportThread::OtlpExportThread(OtlpExporterOptions options)
    : exporter_(std::make_unique<OtlpExporter>(ctx_.get_executor(), std::move(options))) {
  boost::asio::co_spawn(ctx_, exporter_->run(), [this](std::exception_ptr error) {
    if (error) spdlog::error("tracing: the span exporter stopped by an exception; spans are no longer exported");
    ctx_.stop();  // whatever libcurl still holds (an idle connection) must not keep run() going
  });
  std::promise<long> started;
  auto id = started.get_future();
  thread_ = std::thread([this, &started] {
    lower_own_priority(kNiceIncrement);
    started.set_value(static_cast<long>(::gettid()));
    ctx_.run();
  });
  thread_id_ = id.get();
}

void OtlpExportThread::join() {
  exporter_->stop();
  if (thread_.joinable()) thread_.join();
}

OtlpExportThread::~OtlpExportThread() { join(); }

}  // namespace agentrt
