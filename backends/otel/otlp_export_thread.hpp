#pragma once
// OtlpExportThread: an OtlpExporter on a thread and io_context of its own. Batching, OTLP
// encoding and the HTTP exchange with the collector then never take time from the event loop
// that runs sessions; the runtime's only cost is export_span()'s move into the queue.
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
  explicit OtlpExportThread(OtlpExporterOptions options);
  ~OtlpExportThread();
  OtlpExportThread(const OtlpExportThread&) = delete;
  OtlpExportThread& operator=(const OtlpExportThread&) = delete;

  [[nodiscard]] SpanSink& sink() { return *exporter_; }
  void stop() { exporter_->stop(); }
  void join();
  [[nodiscard]] OtlpExporterStats stats() const { return exporter_->stats(); }

 private:
  boost::asio::io_context ctx_;
  std::unique_ptr<OtlpExporter> exporter_;
  std::thread thread_;
};

}  // namespace agentrt
