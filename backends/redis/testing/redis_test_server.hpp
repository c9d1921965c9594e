#pragma once
// A real redis-server for tests: started on 127.0.0.1 on a free port, without persistence
// (--save '' --appendonly no, its dir a fresh temporary folder), killed with its test (and,
// through PR_SET_PDEATHSIG, when the test process dies). kill() and start() again on the same
// port simulate an outage; pause() and resume() a hung server. Also: run_until() drives an io_context until a condition holds.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "backends/redis/redis_options.hpp"

namespace agentrt::testing {

class RedisTestServer {
 public:
  explicit RedisTestServer(std::vector<std::string> extra_args = {}) : extra_args_(std::move(extra_args)) {
    port_ = free_port();
    char pattern[] = "/tmp/agentrt-redis-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    start();
  }
  ~RedisTestServer() {
    kill();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  void start() {
    if (pid_ > 0) return;
    std::vector<std::string> args{"redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port_), "--save", "",
                                  "--appendonly", "no", "--dir", dir_.string(), "--logfile", (dir_ / "redis.log").string(), "--loglevel", "warning"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      const int devnull = ::open("/dev/null", O_WRONLY);  // its log is in dir_/redis.log
      if (devnull >= 0) {
        ::dup2(devnull, STDOUT_FILENO);
        ::dup2(devnull, STDERR_FILENO);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    wait_ready();
  }

  // SIGKILL: connections drop at once, as in a crash.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // SIGSTOP / SIGCONT: a server that accepts connections but never answers (slow, hung).
  void pause() const {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void resume() const {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  [[nodiscard]] unsigned short port() const { return port_; }
  [[nodiscard]] RedisOptions options() const { return options_for_port(port_); }
  // Short timeouts and backoff, so outage tests run quickly.
  static RedisOptions options_for_port(unsigned short port) {
    RedisOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.pool_size = 2;
    o.connect_timeout = std::chrono::milliseconds{500};
    o.command_timeout = std::chrono::milliseconds{1000};
    o.reconnect_delay_min = std::chrono::milliseconds{20};
    o.reconnect_delay_max = std::chrono::milliseconds{200};
    return o;
  }

  static unsigned short free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

 private:
  // Ready when it answers PING (with --requirepass it answers -NOAUTH, which is ready too).
  void wait_ready() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (answers_ping()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
  }

  [[nodiscard]] bool answers_ping() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      const char ping[] = "PING\r\n";
      char answer[64] = {};
      ok = ::write(fd, ping, sizeof(ping) - 1) > 0 && ::read(fd, answer, sizeof(answer) - 1) > 0;
    }
    ::close(fd);
    return ok;
  }

  std::vector<std::string> extra_args_;
  std::filesystem::path dir_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
};

// Runs `ioc` in slices until `done()` or `timeout`; returns done().
inline bool run_until(boost::asio::io_context& ioc, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    ioc.restart();
    if (ioc.run_for(std::chrono::milliseconds(5)) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

}  // namespace agentrt::testing
