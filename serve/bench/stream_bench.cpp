// The streaming load test of `agentrt serve` (scripts/bench runs it in Release): one worker
// process streams the output of S sessions to S x C concurrent SSE clients (default 50 x 20 =
// 1,000) over real sockets, with the real Worker, OutputPublisher, InProcessOutputHub,
// EventStreamApi, HTTP server and SQLite store. The clients run in a second process (this
// binary again, --clients), so the server's memory is its own.
//
// The LLM fake streams `tokens` tokens per reply, `gap` apart, each carrying the monotonic
// clock (CLOCK_MONOTONIC, shared by both processes) at the moment it hands the token to the
// runtime; a client subtracts it from its own clock when the token arrives. So the latency is
// everything the runtime adds: publisher, hub, SSE framing, the socket, the client's read.
//
// Prints: clients connected, token deliveries, added latency p50/p99/max, server memory per
// connected client (RSS growth from before the clients connect to after, divided by their
// number), and whether every client got every token and the final output.
// Usage: stream_bench [--sessions S] [--clients-per-session C] [--tokens T] [--gap-ms G]

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "backends/http_server/http_server.hpp"
#include "backends/http_server/router.hpp"
#include "backends/memory/in_process_output_hub.hpp"
#include "backends/sqlite/sqlite_session_store.hpp"
#include "core/definition/definition_loader.hpp"
#include "core/model/scratch_dir.hpp"
#include "core/runtime/new_session.hpp"
#include "serve/bench/percentile.hpp"
#include "serve/bench/zero_latency_fakes.hpp"
#include "serve/event_stream_api.hpp"
#include "serve/org_tokens.hpp"
#include "serve/serve_config.hpp"
#include "serve/worker.hpp"

extern char** environ;

namespace {

namespace asio = boost::asio;
using namespace agentrt;
using tcp = asio::ip::tcp;
using serve::bench::percentile;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kToken = "stream-bench-token-0123456789";
constexpr std::chrono::seconds kClientDeadline{120};

struct Options {
  int sessions = 50;
  int clients_per_session = 20;
  int tokens = 20;
  int gap_ms = 10;
  unsigned short port = 0;  // --clients mode: the server's port
};

Options parse_options(int argc, char** argv, int first) {
  Options o;
  for (int i = first; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("flag " + std::string(flag) + " needs a value");
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--sessions") o.sessions = value;
    else if (flag == "--clients-per-session") o.clients_per_session = value;
    else if (flag == "--tokens") o.tokens = value;
    else if (flag == "--gap-ms") o.gap_ms = value;
    else if (flag == "--port") o.port = static_cast<unsigned short>(value);
    else throw std::invalid_argument("unknown flag " + std::string(flag));
  }
  if (o.sessions < 1 || o.clients_per_session < 1 || o.tokens < 1 || o.gap_ms < 0) {
    throw std::invalid_argument("--sessions, --clients-per-session, --tokens >= 1; --gap-ms >= 0");
  }
  return o;
}

std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

std::string session_id(int i) {
  char id[32];
  std::snprintf(id, sizeof id, "s-%06d", i);
  return id;
}

// ---- the clients (a second process) ---------------------------------------------------------

struct ClientTally {
  std::vector<double> latency_us;
  int connected = 0;
  int finished = 0;  // got the output event
  int failed = 0;
};

// One SSE client: GET, then frames until the `output` event; token latencies into the tally.
asio::awaitable<void> stream_client(unsigned short port, std::string session, ClientTally* tally) {
  tcp::socket socket(co_await asio::this_coro::executor);
  boost::system::error_code ec;
  const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  co_await socket.async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    ++tally->failed;
    co_return;
  }
  const std::string request = "GET /v1/sessions/" + session + "/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " +
                              kToken + "\r\nAccept: text/event-stream\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    ++tally->failed;
    co_return;
  }
  std::string buffer;
  std::vector<char> chunk(16 * 1024);
  bool headers_seen = false;
  for (;;) {
    const std::size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      ++tally->failed;
      co_return;
    }
    const std::int64_t now = monotonic_ns();
    buffer.append(chunk.data(), n);
    if (!headers_seen) {
      const auto end = buffer.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      if (buffer.rfind("HTTP/1.1 200", 0) != 0) {
        ++tally->failed;
        co_return;
      }
      headers_seen = true;
      ++tally->connected;
      buffer.erase(0, end + 4);
    }
    // Each SSE write is one HTTP chunk of whole frames, so frames end with "\n\n"; a chunk's
    // size line lands at the start of the next frame, where it does not matter.
    for (;;) {
      const auto end = buffer.find("\n\n");
      if (end == std::string::npos) break;
      const std::string_view frame(buffer.data(), end);
      if (frame.find("event: token") != std::string_view::npos) {
        const auto text = frame.find("\"text\":\"");
        if (text != std::string_view::npos) {
          const std::int64_t sent = std::atoll(buffer.c_str() + text + 8);
          tally->latency_us.push_back(static_cast<double>(now - sent) / 1000.0);
        }
      } else if (frame.find("event: output") != std::string_view::npos) {
        ++tally->finished;
        co_return;
      }
      buffer.erase(0, end + 2);
    }
  }
}

// Prints "connected N" once every client has its stream, then "done {...}" at the end.
int run_clients(const Options& o) {
  asio::io_context ctx;
  ClientTally tally;
  const int total = o.sessions * o.clients_per_session;
  for (int s = 0; s < o.sessions; ++s) {
    for (int c = 0; c < o.clients_per_session; ++c) asio::co_spawn(ctx, stream_client(o.port, session_id(s), &tally), asio::detached);
  }
  bool announced = false;
  const auto deadline = SteadyClock::now() + kClientDeadline;
  while (tally.finished + tally.failed < total && SteadyClock::now() < deadline) {
    ctx.run_for(std::chrono::milliseconds(5));
    if (!announced && tally.connected + tally.failed >= total) {
      announced = true;
      std::cout << "connected " << tally.connected << std::endl;
    }
  }
  if (!announced) std::cout << "connected " << tally.connected << std::endl;
  const json result{{"clients", total},
                    {"connected", tally.connected},
                    {"finished", tally.finished},
                    {"failed", tally.failed},
                    {"deliveries", tally.latency_us.size()},
                    {"p50_us", percentile(tally.latency_us, 50)},
                    {"p99_us", percentile(tally.latency_us, 99)},
                    {"max_us", percentile(tally.latency_us, 100)}};
  std::cout << "done " << result.dump() << std::endl;
  return 0;
}

// ---- the server (this process) ------------------------------------------------------------

class NoTools final : public ToolRunner {
 public:
  asio::awaitable<Result<ToolResult>> run(ToolInvocation) override { co_return Error{Errc::invalid, "no tools here"}; }
};

// Streams `tokens` tokens `gap` apart, each "<monotonic ns>|", then answers.
class PacedTokenLlm final : public LlmProvider {
 public:
  PacedTokenLlm(int tokens, std::chrono::milliseconds gap) : tokens_(tokens), gap_(gap) {}
  asio::awaitable<Result<LlmReply>> complete(LlmRequest, TokenSink on_token) override {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int i = 0; i < tokens_; ++i) {
      timer.expires_after(gap_);
      co_await timer.async_wait(asio::use_awaitable);
      const std::string token = std::to_string(monotonic_ns()) + "| ";
      if (on_token) on_token(token);
    }
    LlmReply reply;
    reply.content = "streamed " + std::to_string(tokens_) + " tokens";
    reply.finish_reason = "stop";
    co_return reply;
  }

 private:
  int tokens_;
  std::chrono::milliseconds gap_;
};

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

std::string definition_yaml() {
  return "name: stream-bench\nversion: 1\nmodel:\n  provider: openai\n  name: paced\n"
         "  base_url: \"http://127.0.0.1:9/v1\"\nsystem: \"You stream.\"\n";
}

asio::awaitable<Result<void>> create_session(SessionStore& store, const AgentDefinition& definition, int i,
                                             std::int64_t now_ms) {
  auto created = new_session(SessionId{session_id(i)}, OrgId{"bench"}, BotId{"bench"}, definition, now_ms);
  auto stored = co_await store.create_session(std::move(created.record), definition.canonical,
                                              std::move(created.first_events));
  co_return stored;
}

asio::awaitable<void> enqueue_all(SessionStore& store, serve::Worker& worker, int sessions, std::int64_t now_ms) {
  for (int i = 0; i < sessions; ++i) {
    InboxMessage message{MessageId{"m-1"}, "stream please", now_ms};
    const SessionId id{session_id(i)};
    auto queued = co_await store.enqueue(id, std::move(message));
    if (!queued) throw std::runtime_error(queued.error().to_string());
  }
  worker.wake();
}

int run_server(const Options& o, const char* self) {
  ScratchDir dir("stream_bench");
  asio::io_context ctx;
  SqliteOptions sqlite;
  sqlite.path = dir.path() / "agentrt.db";
  auto store = open_sqlite_session_store(sqlite);
  if (!store) throw std::runtime_error(store.error().to_string());
  auto leases = (*store)->lease_store();
  auto definition = parse_definition(definition_yaml(), "stream-bench.yaml", dir.path());
  if (!definition) throw std::runtime_error(definition.error().to_string());
  serve::bench::SystemClock clock;
  for (int i = 0; i < o.sessions; ++i) {
    asio::co_spawn(ctx, create_session(**store, *definition, i, clock.wall_ms()), [](std::exception_ptr e, Result<void> r) {
      if (e) std::rethrow_exception(e);
      if (!r) throw std::runtime_error(r.error().to_string());
    });
  }
  ctx.run();
  ctx.restart();

  InProcessOutputHub hub(ctx.get_executor());
  PacedTokenLlm llm(o.tokens, std::chrono::milliseconds(o.gap_ms));
  NoTools tools;
  serve::WorkerPorts ports;
  ports.store = store->get();
  ports.leases = leases.get();
  ports.clock = &clock;
  ports.hub = &hub;
  ports.adapters = [&llm, &tools](AgentDefinition&) -> Result<std::unique_ptr<serve::SessionAdapters>> {
    return std::unique_ptr<serve::SessionAdapters>(std::make_unique<serve::bench::BenchAdapters>(llm, tools));
  };
  const serve::ServeConfig defaults;
  serve::WorkerOptions worker_options;
  worker_options.worker_id = "stream-bench";
  worker_options.lease = defaults.lease;
  worker_options.poll_interval = defaults.poll_interval;
  worker_options.max_active = static_cast<std::size_t>(o.sessions);
  serve::Worker worker(ctx.get_executor(), std::move(ports), std::move(worker_options));

  auto tokens = serve::OrgTokens::from_config({serve::OrgAccess{"bench", "BENCH_TOKEN", ""}},
                                              [](const std::string&) -> std::optional<std::string> { return kToken; });
  if (!tokens) throw std::runtime_error(tokens.error().to_string());
  serve::StreamContext stream_context;
  stream_context.store = store->get();
  stream_context.hub = &hub;
  stream_context.tokens = &tokens.value();
  serve::EventStreamApi streams(stream_context);
  Router router;
  streams.add_routes(router);
  HttpServerOptions http;
  http.max_connections = stream_context.options.max_streams + 64;
  HttpServer server(ctx.get_executor(), http, [&router](const ServerRequest& r) { return router.handle(r); });
  if (auto listening = server.listen(); !listening) throw std::runtime_error(listening.error().to_string());
  server.start();

  // The clients: this binary again, reading back their two lines through a pipe.
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  const std::vector<std::string> args{self, "--clients", "--sessions", std::to_string(o.sessions),
                                      "--clients-per-session", std::to_string(o.clients_per_session), "--port",
                                      std::to_string(server.port())};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t child = 0;
  const long rss_before = rss_kib();
  if (posix_spawn(&child, self, &actions, nullptr, argv.data(), environ) != 0) throw std::runtime_error("spawn failed");
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);

  long rss_connected = 0;
  int connected = 0;
  json result;
  asio::posix::stream_descriptor from_clients(ctx, pipe_fds[0]);
  auto watch = [&]() -> asio::awaitable<void> {
    asio::streambuf lines;
    for (;;) {
      boost::system::error_code ec;
      co_await asio::async_read_until(from_clients, lines, '\n', asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::istream in(&lines);
      std::string line;
      std::getline(in, line);
      if (line.rfind("connected ", 0) == 0) {
        connected = std::atoi(line.c_str() + 10);
        rss_connected = rss_kib();
        co_await enqueue_all(**store, worker, o.sessions, clock.wall_ms());
      } else if (line.rfind("done ", 0) == 0) {
        result = json::parse(line.substr(5));
        break;
      }
    }
    worker.stop_claiming();
    worker.cancel_all();
    co_await server.stop(std::chrono::milliseconds(0));
  };
  asio::co_spawn(ctx, watch(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  asio::co_spawn(ctx, worker.run(), asio::detached);
  ctx.run();
  int status = 0;
  ::waitpid(child, &status, 0);
  leases.reset();
  (*store)->stop();

  const int clients = o.sessions * o.clients_per_session;
  const double per_client_kib =
      connected > 0 ? static_cast<double>(rss_connected - rss_before) / static_cast<double>(connected) : 0;
  const auto expected = static_cast<long long>(clients) * o.tokens;
  char text[256];
  std::cout << "  clients: " << clients << " (" << o.sessions << " sessions x " << o.clients_per_session
            << "), connected " << connected << ", got the final output " << result.value("finished", 0) << ", failed "
            << result.value("failed", 0) << '\n';
  std::cout << "  token deliveries: " << result.value("deliveries", 0LL) << " of " << expected << " (" << o.tokens
            << " tokens per reply, " << o.gap_ms << " ms apart)\n";
  std::snprintf(text, sizeof text, "  added latency, LLM token to client: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
                result.value("p50_us", 0.0) / 1000, result.value("p99_us", 0.0) / 1000, result.value("max_us", 0.0) / 1000);
  std::cout << text;
  std::snprintf(text, sizeof text, "  server memory per connected client: %.1f KiB (RSS %ld -> %ld KiB)\n", per_client_kib,
                rss_before, rss_connected);
  std::cout << text;
  const bool right = result.value("finished", 0) == clients && result.value("deliveries", 0LL) == expected;
  if (!right) std::cerr << "stream_bench: WRONG RUN: not every client got every token and the output\n";
  return right ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string_view(argv[1]) == "--clients") return run_clients(parse_options(argc, argv, 2));
    return run_server(parse_options(argc, argv, 1), "/proc/self/exe");
  } catch (const std::exception& e) {
    std::cerr << "stream_bench: " << e.what() << '\n';
    return 2;
  }
}
