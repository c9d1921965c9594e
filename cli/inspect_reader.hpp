#pragma once
// Read-only access to the embedded database for `agentrt inspect`: the SessionStore and
// LeaseStore ports opened with SQLITE_OPEN_READONLY, so inspect never writes and never holds a
// write lock; every read is a short WAL snapshot, so a running `agentrt run` or `serve` is not
// disturbed. All methods are coroutines on the caller's io_context.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "cli/wiring.hpp"
#include "core/inspect/owner_liveness.hpp"
#include "core/model/definition.hpp"
#include "core/model/error.hpp"

namespace agentrt::cli {

struct PinnedDefinition {
  nlohmann::json canonical;                 // null when it could not be read
  std::optional<AgentDefinition> definition;
  std::string error;                        // why `definition` is missing
};

class InspectReader {
 public:
  // Errc::not_found when the file does not exist (inspect never creates a database);
  // the store's error (fatal: corrupt, newer schema, unreadable) otherwise.
  static Result<std::unique_ptr<InspectReader>> open(const std::string& db_path);

  boost::asio::awaitable<Result<SessionRecord>> session(const SessionId& id);
  boost::asio::awaitable<Result<std::vector<SessionRecord>>> list(SessionQuery query);
  // Every event after `after`, in order (read in pages).
  boost::asio::awaitable<Result<std::vector<Event>>> events_after(const SessionId& id, std::int64_t after);
  boost::asio::awaitable<Result<std::optional<Event>>> last_event(const SessionRecord& record);
  // The event with this seq; nullopt when the history has none.
  boost::asio::awaitable<Result<std::optional<Event>>> event_at(const SessionId& id, std::int64_t seq);
  // The session's newest checkpoint, if it has one (running sessions: fold it + the tail).
  boost::asio::awaitable<Result<std::optional<Checkpoint>>> checkpoint(const SessionId& id);
  boost::asio::awaitable<Result<std::vector<InboxMessage>>> pending(const SessionId& id);
  // The lease and its owner's liveness, judged now.
  struct LeaseView {
    std::optional<Lease> lease;  // nullopt: the store keeps no leases
    OwnerAssessment owner;
  };
  boost::asio::awaitable<Result<LeaseView>> lease(const SessionId& id, std::int64_t now_ms);
  // Cached per hash: many sessions share a definition.
  boost::asio::awaitable<Result<const PinnedDefinition*>> definition(const std::string& hash);

  [[nodiscard]] const std::string& db_path() const { return db_path_; }  // absolute

 private:
  InspectReader(std::string db_path, EmbeddedStores stores) : db_path_(std::move(db_path)), stores_(std::move(stores)) {}

  std::string db_path_;
  EmbeddedStores stores_;
  std::map<std::string, std::unique_ptr<PinnedDefinition>> definitions_;
};

}  // namespace agentrt::cli
