#pragma once
// OtlpExportThread: an OtlpExporter on a thread and io_context of its own. Batching, OTLP
// encoding and the HTTP exchange with the collector then never take time from the event loop
// that runs sessions; the runtime's only cost is export_span()'s move into the queue.
//
// The thread runs kNiceIncrement below the priority of the thread that starts it, as a batch
// thread (SCHED_BATCH): when the host's CPU is saturated, sending telemetry yields to the
// threads that run sessions (the event loop, SQLite's writer) instead of preempting them, and
// waking for a full batch it waits for a time slice to end rather than cutting one short
// (serve_bench, tracing on: the event loop waited 4.6-5.0 us per step for a CPU, 5.1-6.4 as a
// plain thread, and made 1-5 % more steps/s). It needs a few percent of a core
// (docs/tracing.md), which it still gets; when it cannot keep up, the queue drops spans and
// counts them, as it always does, and the runtime never waits.
//
// stop() asks the exporter to send what is queued and end (it does not wait, so an event loop
// may call it); join() and the destructor wait for that, bounded by the exporter's request
// timeout and its one retry.

#include <memory>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "backends/otel/otlp_exporter.hpp"

namespace agentrt {

class OtlpExportThread {
 public:
  static constexpr int kNiceIncrement = 10;

  explicit OtlpExportThread(OtlpExporterOptions options);
  ~OtlpExportThread();
  OtlpExportThread(const OtlpExportThread&) = delete;
  OtlpExportThread& operator=(const OtlpExportThread&) = delete;

  [[nodiscard]] SpanSink& sink() { return *exporter_; }
  void stop() { exporter_->stop(); }
  void join();
  [[nodiscard]] OtlpExporterStats stats() const { return exporter_->stats(); }
  // The thread's kernel id (a benchmark tells its CPU time from the others').
  [[nodiscard]] long thread_id() const { return thread_id_; }

 private:
  boost::asio::io_context ctx_;
  std::unique_ptr<OtlpExporter> exporter_;
  std::thread thread_;
  long thread_id_ = 0;
};

}  // namespace agentrt
