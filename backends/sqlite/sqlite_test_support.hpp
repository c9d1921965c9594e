#pragma once
// Test helpers for the SQLite store tests (not part of the library's API): a temporary folder
// removed at the end of the test, and a store that owns its temporary database file.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "backends/sqlite/sqlite_session_store.hpp"

namespace agentrt::sqlite::testing {

// A fresh folder under the system temp folder, named after the running test; removed on exit.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info != nullptr ? std::string(info->test_suite_name()) + "." + info->name() : "no-test";
    for (auto& c : name) {
      if (c == '/') c = '_';
    }
    path_ = std::filesystem::temp_directory_path() /
            ("agentrt-sqlite-" + std::to_string(::getpid()) + "-" + name + "-" +
             std::to_string(reinterpret_cast<std::uintptr_t>(this)));  // several per test: distinct
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A session of org-1's bot-1 on definition hash-1, created (and last updated) at `created_ms`.
inline SessionRecord session_record(const std::string& id, std::int64_t created_ms = 0) {
  SessionRecord record;
  record.id = SessionId{id};
  record.org = OrgId{"org-1"};
  record.bot = BotId{"bot-1"};
  record.definition_hash = "hash-1";
  record.created_ms = record.updated_ms = created_ms;
  return record;
}

inline SqliteOptions options_for(const std::filesystem::path& path) {
  SqliteOptions options;
  options.path = path;
  options.synchronous_full = false;  // tests do not need fsync per commit
  return options;
}

// Opens a store or fails the current test (returns null then).
inline std::unique_ptr<SqliteSessionStore> open_or_fail(SqliteOptions options) {
  auto store = open_sqlite_session_store(std::move(options));
  EXPECT_TRUE(store.ok()) << store.error().to_string();
  return store.ok() ? std::move(store).value() : nullptr;
}

// A SessionStore that owns its temporary database: the store closes before the folder goes.
class TempFileSessionStore final : public SessionStore {
 public:
  TempFileSessionStore() : store_(open_or_fail(options_for(dir_.file("agentrt.db")))) {}

  [[nodiscard]] bool opened() const { return store_ != nullptr; }

  boost::asio::awaitable<Result<void>> create_session(SessionRecord record, nlohmann::json definition,
                                                      std::vector<Event> first_events) override {
    return store_->create_session(std::move(record), std::move(definition), std::move(first_events));
  }
  boost::asio::awaitable<Result<SessionRecord>> get_session(SessionId id) override {
    return store_->get_session(std::move(id));
  }
  boost::asio::awaitable<Result<std::vector<SessionRecord>>> list_sessions(SessionQuery query) override {
    return store_->list_sessions(std::move(query));
  }
  boost::asio::awaitable<Result<std::vector<SessionCount>>> count_sessions() override { return store_->count_sessions(); }
  boost::asio::awaitable<Result<nlohmann::json>> get_definition(std::string hash) override {
    return store_->get_definition(std::move(hash));
  }
  boost::asio::awaitable<Result<LeaseEpoch>> claim(SessionId id) override { return store_->claim(std::move(id)); }
  boost::asio::awaitable<Result<void>> append(AppendRequest request) override {
    return store_->append(std::move(request));
  }
  boost::asio::awaitable<Result<std::vector<Event>>> read_events(SessionId id, EventSeq after,
                                                                 std::size_t limit) override {
    return store_->read_events(std::move(id), after, limit);
  }
  boost::asio::awaitable<Result<std::int64_t>> reset(ResetRequest request) override {
    return store_->reset(std::move(request));
  }
  boost::asio::awaitable<Result<std::vector<ArchivedBranch>>> read_archived_branches(SessionId id) override {
    return store_->read_archived_branches(std::move(id));
  }
  [[nodiscard]] std::unique_ptr<LeaseStore> lease_store() { return store_->lease_store(); }
  [[nodiscard]] std::unique_ptr<KvStore> kv_store() { return store_->kv_store(); }
  boost::asio::awaitable<Result<void>> save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) override {
    return store_->save_checkpoint(std::move(id), epoch, std::move(checkpoint));
  }
  boost::asio::awaitable<Result<std::optional<Checkpoint>>> load_checkpoint(SessionId id) override {
    return store_->load_checkpoint(std::move(id));
  }
  boost::asio::awaitable<Result<bool>> enqueue(SessionId id, InboxMessage message) override {
    return store_->enqueue(std::move(id), std::move(message));
  }
  boost::asio::awaitable<Result<std::vector<InboxMessage>>> pending_messages(SessionId id, std::size_t limit) override {
    return store_->pending_messages(std::move(id), limit);
  }

 private:
  TempDir dir_;  // first: destroyed last
  std::unique_ptr<SqliteSessionStore> store_;
};

}  // namespace agentrt::sqlite::testing
