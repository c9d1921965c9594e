#include "backends/http/curl_multi_driver.hpp"

#include <chrono>
#include <exception>

#include "backends/http/curl_transfer.hpp"

namespace agentrt {
namespace asio = boost::asio;

namespace {

// libcurl's process-wide initialisation, done once (a function-local static is thread-safe).
bool curl_global_ready() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

}  // namespace

struct CurlMultiDriver::SocketWatch {
  SocketWatch(const asio::any_io_executor& ex, curl_socket_t socket) : descriptor(ex, socket), fd(socket) {}
  ~SocketWatch() { release(); }
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  // Hands the descriptor back to libcurl (which closes it) and aborts pending waits.
  void release() {
    closed = true;
    if (descriptor.is_open()) (void)descriptor.release();
  }

  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd;
  int what = 0;          // CURL_POLL_IN / _OUT / _INOUT: what libcurl wants to know
  bool reading = false;  // a wait_read is pending
  bool writing = false;  // a wait_write is pending
  bool closed = false;
};

std::shared_ptr<CurlMultiDriver> CurlMultiDriver::create(asio::any_io_executor ex) {
  return std::shared_ptr<CurlMultiDriver>(new CurlMultiDriver(std::move(ex)));
}

CurlMultiDriver::CurlMultiDriver(asio::any_io_executor ex)
    : ex_(std::move(ex)), multi_(curl_global_ready() ? curl_multi_init() : nullptr), timer_(ex_) {
  if (!multi_) return;  // add() reports it
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &CurlMultiDriver::on_socket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, static_cast<void*>(this));
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &CurlMultiDriver::on_timer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, static_cast<void*>(this));
}

CurlMultiDriver::~CurlMultiDriver() {
  multi_.reset();  // may still call on_socket(REMOVE) for cached connections: sockets_ is intact
  for (auto& [fd, watch] : sockets_) watch->release();
  timer_.cancel();
}

Result<void> CurlMultiDriver::add(CurlTransfer& transfer) {
  if (!multi_) return Error{Errc::fatal, transfer.description() + ": libcurl multi handle unavailable"};
  if (const CURLMcode rc = curl_multi_add_handle(multi_.get(), transfer.easy()); rc != CURLM_OK) {
    return Error{Errc::fatal, transfer.description() + ": " + curl_multi_strerror(rc)};
  }
  ++active_;
  transfer.attached_to(weak_from_this());
  return ok_result();
}

void CurlMultiDriver::remove(CurlTransfer& transfer) {
  curl_multi_remove_handle(multi_.get(), transfer.easy());
  --active_;
  transfer.detached();
}

int CurlMultiDriver::on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* self, void* /*socket_data*/) {
  auto& driver = *static_cast<CurlMultiDriver*>(self);
  if (what == CURL_POLL_REMOVE) {
    driver.forget_socket(fd);
    return 0;
  }
  try {
    return driver.watch_socket(fd, what);
  } catch (const std::exception&) {
    return -1;  // libcurl fails the transfers on this socket; never throw through C frames
  }
}

int CurlMultiDriver::watch_socket(curl_socket_t fd, int what) {
  auto& watch = sockets_[fd];
  if (!watch) watch = std::make_shared<SocketWatch>(ex_, fd);
  watch->what = what;
  arm(watch);
  return 0;
}

void CurlMultiDriver::forget_socket(curl_socket_t fd) {
  if (const auto it = sockets_.find(fd); it != sockets_.end()) {
    it->second->release();
    sockets_.erase(it);
  }
}

int CurlMultiDriver::on_timer(CURLM* /*multi*/, long timeout_ms, void* self) {
  auto& driver = *static_cast<CurlMultiDriver*>(self);
  driver.timer_.cancel();
  if (timeout_ms < 0) return 0;
  // Even a 0 ms timeout goes through the loop: libcurl forbids socket_action from here.
  driver.timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  driver.timer_.async_wait([weak = driver.weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto alive = weak.lock()) alive->socket_action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void CurlMultiDriver::arm(const std::shared_ptr<SocketWatch>& watch) {
  const auto weak = weak_from_this();
  if ((watch->what & CURL_POLL_IN) != 0 && !watch->reading) {
    watch->reading = true;
    watch->descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                                 [weak, watch](const boost::system::error_code& ec) {
                                   watch->reading = false;
                                   if (ec == asio::error::operation_aborted || watch->closed) return;
                                   if (auto alive = weak.lock()) alive->socket_ready(watch, CURL_CSELECT_IN, !!ec);
                                 });
  }
  if ((watch->what & CURL_POLL_OUT) != 0 && !watch->writing) {
    watch->writing = true;
    watch->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                                 [weak, watch](const boost::system::error_code& ec) {
                                   watch->writing = false;
                                   if (ec == asio::error::operation_aborted || watch->closed) return;
                                   if (auto alive = weak.lock()) alive->socket_ready(watch, CURL_CSELECT_OUT, !!ec);
                                 });
  }
}

void CurlMultiDriver::socket_ready(const std::shared_ptr<SocketWatch>& watch, int curl_select, bool failed) {
  const int wanted = curl_select == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
  if ((watch->what & wanted) == 0) return;  // libcurl lost interest while we waited
  socket_action(watch->fd, failed ? CURL_CSELECT_ERR : curl_select);
  if (!watch->closed) arm(watch);  // re-arming re-checks readiness (epoll MOD), so nothing is missed
}

void CurlMultiDriver::socket_action(curl_socket_t fd, int curl_select) {
  int running = 0;
  curl_multi_socket_action(multi_.get(), fd, curl_select, &running);
  collect_finished();
}

void CurlMultiDriver::collect_finished() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;  // read before remove: msg dies with the handle
    char* owner = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
    curl_multi_remove_handle(multi_.get(), easy);
    --active_;
    static_cast<CurlTransfer*>(static_cast<void*>(owner))->finish(code);
  }
}

}  // namespace agentrt
