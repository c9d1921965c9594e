#include "serve/grpc/grpc_surface.hpp"

#include <thread>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "serve/grpc/event_stream_call.hpp"
#include "serve/grpc/sessions_service.hpp"

namespace agentrt::serve::grpc_api {
namespace {

namespace asio = boost::asio;

constexpr int kMaxSendBytes = 16 * 1024 * 1024;

class GrpcSurface final : public ApiSurface {
 public:
  GrpcSurface(ApiSurfaceDeps deps, GrpcStreamLimits limits)
      : config_(*deps.config),
        streams_{deps.executor, deps.streams, limits, 0, false, deps.rpc_observer},
        service_(deps.executor, *deps.router, streams_),
        stopped_(deps.executor, asio::steady_timer::time_point::max()) {}

  ~GrpcSurface() override {
    if (shutdown_thread_.joinable()) shutdown_thread_.join();
  }

  Result<unsigned short> start() override {
    const std::string address = config_.grpc_listen_host + ":" + std::to_string(config_.grpc_listen_port);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_body_bytes));
    builder.SetMaxSendMessageSize(kMaxSendBytes);
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port == 0) {
      server_.reset();
      return Error{Errc::fatal, "grpc.listen " + address + ": cannot listen (port taken, or not an address of this host)"};
    }
    spdlog::info("grpc: listening on {}:{}", config_.grpc_listen_host, port);
    return static_cast<unsigned short>(port);
  }

  void begin_stop(std::chrono::milliseconds grace) override {
    streams_.draining = true;
    if (server_ == nullptr || shutdown_started_) return;
    shutdown_started_ = true;
    // Shutdown blocks until every call is finished, and calls finish on the io_context: so
    // it runs on its own thread, and tells the io_context when it is done.
    const auto deadline = std::chrono::system_clock::now() + grace;
    shutdown_thread_ = std::thread([this, deadline] {
      server_->Shutdown(deadline);
      asio::post(stopped_.get_executor(), [this] { stopped_.cancel(); });
    });
  }

  asio::awaitable<void> stopped() override {
    if (server_ == nullptr) co_return;
    boost::system::error_code ec;
    co_await stopped_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    spdlog::info("grpc: stopped");
  }

 private:
  const ServeConfig& config_;
  StreamEnv streams_;
  SessionsService service_;
  asio::steady_timer stopped_;  // cancelled when Shutdown has returned
  std::unique_ptr<grpc::Server> server_;
  bool shutdown_started_ = false;
  std::thread shutdown_thread_;
};

}  // namespace

ApiSurfaceFactory grpc_surface_factory(GrpcStreamLimits limits) {
  return [limits](ApiSurfaceDeps deps) -> std::unique_ptr<ApiSurface> {
    return std::make_unique<GrpcSurface>(std::move(deps), limits);
  };
}

}  // namespace agentrt::serve::grpc_api
