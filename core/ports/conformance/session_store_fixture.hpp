#pragma once
// Fixture and helpers of the SessionStore conformance suite (the tests themselves are in
// session_store_conformance.hpp, which is the header a backend's test includes).

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

// GCC 12 reports a false -Wnull-dereference inside Asio's io_context executor comparison
// once co_spawn is inlined; the header is Boost's, so silence it for these includes only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#pragma GCC diagnostic pop
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/ports/session_store.hpp"

namespace agentrt::conformance {

using SessionStoreFactory = std::function<std::unique_ptr<SessionStore>()>;

struct SessionStoreBackend {
  std::string name;  // used in test names: letters and digits only
  SessionStoreFactory make;
  friend void PrintTo(const SessionStoreBackend& backend, std::ostream* os) { *os << backend.name; }
};

inline std::string session_store_backend_name(const ::testing::TestParamInfo<SessionStoreBackend>& info) {
  return info.param.name;
}

// Runs one awaitable to completion on a fresh io_context and returns its value.
// (co_spawn's own use_future needs a default-constructible T; Result<T> is not.)
template <class T>
T run_awaitable(boost::asio::awaitable<T> op) {
  boost::asio::io_context ctx;
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(
      ctx, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(op)); },
      [&](std::exception_ptr e) { failure = e; });
  ctx.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

// Fixture data and small builders shared by the tests below.
class SessionStoreConformance : public ::testing::TestWithParam<SessionStoreBackend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr) << "factory returned no store";
  }
  void TearDown() override { store_.reset(); }

  SessionStore& store() { return *store_; }

  static SessionRecord record(const std::string& id, const std::string& org = "org-1", const std::string& bot = "bot-1",
                              std::int64_t created_ms = 1'000) {
    SessionRecord r;
    r.id = SessionId{id};
    r.org = OrgId{org};
    r.bot = BotId{bot};
    r.definition_hash = "hash-" + bot;
    r.status = SessionStatus::idle;
    r.created_ms = created_ms;
    r.updated_ms = created_ms;
    return r;
  }

  static Event event(std::int64_t seq, EventType type = EventType::OutputEmitted) {
    Event e;
    e.seq = EventSeq{seq};
    e.type = type;
    e.time_ms = 10'000 + seq;
    e.data = nlohmann::json{{"text", "event " + std::to_string(seq)}, {"n", seq}};
    return e;
  }

  static std::vector<Event> events(std::int64_t first, std::int64_t last) {
    std::vector<Event> out;
    for (auto seq = first; seq <= last; ++seq) out.push_back(event(seq));
    return out;
  }

  static nlohmann::json definition(const std::string& name) {
    return nlohmann::json{{"name", name}, {"version", 1}, {"model", {{"provider", "scripted"}}}};
  }

  // Creates a session whose history holds SessionStarted (seq 1).
  void create(const SessionRecord& r) {
    auto created =
        run_awaitable(store().create_session(r, definition(r.bot.str()), {event(1, EventType::SessionStarted)}));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  Result<void> append(const std::string& id, LeaseEpoch epoch, std::vector<Event> evs,
                      std::vector<MessageId> consumed = {}, std::optional<SessionStatus> status = std::nullopt,
                      std::optional<std::int64_t> wake_at_ms = std::nullopt) {
    AppendRequest request;
    request.session = SessionId{id};
    request.epoch = epoch;
    request.events = std::move(evs);
    request.status = status;
    request.wake_at_ms = wake_at_ms;
    request.consumed_messages = std::move(consumed);
    return run_awaitable(store().append(std::move(request)));
  }

  LeaseEpoch claim(const std::string& id) {
    auto epoch = run_awaitable(store().claim(SessionId{id}));
    EXPECT_TRUE(epoch.ok()) << epoch.error().to_string();
    return epoch.ok() ? *epoch : LeaseEpoch{-1};
  }

  SessionRecord get(const std::string& id) {
    auto r = run_awaitable(store().get_session(SessionId{id}));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : SessionRecord{};
  }

  std::vector<Event> read(const std::string& id, std::int64_t after = 0, std::size_t limit = 1000) {
    auto r = run_awaitable(store().read_events(SessionId{id}, EventSeq{after}, limit));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : std::vector<Event>{};
  }

  std::vector<std::int64_t> seqs(const std::string& id, std::int64_t after = 0, std::size_t limit = 1000) {
    std::vector<std::int64_t> out;
    for (const auto& e : read(id, after, limit)) out.push_back(e.seq.value);
    return out;
  }

  bool enqueue(const std::string& id, const std::string& message_id, std::int64_t enqueued_ms,
               const std::string& text = "hello") {
    auto r = run_awaitable(store().enqueue(SessionId{id}, InboxMessage{MessageId{message_id}, text, enqueued_ms}));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() && *r;
  }

  std::vector<std::string> pending(const std::string& id, std::size_t limit = 100) {
    auto r = run_awaitable(store().pending_messages(SessionId{id}, limit));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    std::vector<std::string> ids;
    if (r.ok()) {
      for (const auto& m : *r) ids.push_back(m.id.str());
    }
    return ids;
  }

  // A query; nullptr / nullopt leaves a filter out.
  static SessionQuery query(const char* org, const char* bot, std::optional<SessionStatus> status,
                            std::size_t limit = 100) {
    SessionQuery q;
    if (org != nullptr) q.org = OrgId{org};
    if (bot != nullptr) q.bot = BotId{bot};
    q.status = status;
    q.limit = limit;
    return q;
  }

  std::vector<std::string> list(SessionQuery query) {
    auto r = run_awaitable(store().list_sessions(std::move(query)));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    std::vector<std::string> ids;
    if (r.ok()) {
      for (const auto& s : *r) ids.push_back(s.id.str());
    }
    return ids;
  }

 private:
  std::unique_ptr<SessionStore> store_;
};

}  // namespace agentrt::conformance
