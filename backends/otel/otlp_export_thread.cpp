#include "backends/otel/otlp_export_thread.hpp"

#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

namespace agentrt {

OtlpExportThread::OtlpExportThread(OtlpExporterOptions options)
    : exporter_(std::make_unique<OtlpExporter>(ctx_.get_executor(), std::move(options))) {
  boost::asio::co_spawn(ctx_, exporter_->run(), [this](std::exception_ptr error) {
    if (error) spdlog::error("tracing: the span exporter stopped by an exception; spans are no longer exported");
    ctx_.stop();  // whatever libcurl still holds (an idle connection) must not keep run() going
  });
  thread_ = std::thread([this] { ctx_.run(); });
}

void OtlpExportThread::join() {
  exporter_->stop();
  if (thread_.joinable()) thread_.join();
}

OtlpExportThread::~OtlpExportThread() { join(); }

}  // namespace agentrt
