#pragma once
// KvStore: a small key-value store per (org, bot) for agents and their operators: the
// "KV" of DESIGN.md's ports table. Nothing crosses scopes: the same key in two orgs, or in
// two bots of one org, is two entries.
//
// Contract (every adapter; core/ports/conformance/kv_store_conformance.hpp checks it):
// - Bounds are checked by every adapter first, with core/model/kv_bounds.hpp (one place):
//   org and bot 1..128 bytes; keys 1..512 bytes of UTF-8 without NUL; values any JSON, at
//   most 64 KiB as compact JSON text; at most 250 keys (or entries) per call. Beyond:
//   Errc::invalid naming the key and the bound, and nothing is read or written.
// - get_many(): the entries found; a missing key is absent from the answer (not an error).
//   Repeated keys are read once. Reads see every write this process completed before.
// - put_many(): writes every entry; an existing key is overwritten (last writer wins; no
//   version). Repeating a put writes the same values, so it is idempotent: a retry after a
//   lost answer or a crash is harmless.
// - erase_many(): removes the keys; a missing key is fine.
// - Atomicity: SQLite and memory apply one call all-or-nothing. DynamoDB cannot: it writes
//   in chunks of 25 items, so a failed put_many/erase_many may have applied some entries and
//   not others; each entry is either the old or the new value, never a mix. The caller
//   retries the whole call (idempotent) or reads back.
// - Errors: Errc::invalid (bounds, never retried), retryable/throttled/timeout (the backend
//   was unavailable past the adapter's own retries), cancelled. Messages name the scope and
//   the operation, never a value.
// - Threads: callable from any executor; completes on the caller's executor.

#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/model/error.hpp"
#include "core/model/ids.hpp"

namespace agentrt {

struct KvScope {
  OrgId org;
  BotId bot;
  auto operator<=>(const KvScope&) const = default;
};

using KvEntries = std::map<std::string, nlohmann::json>;  // key -> value

class KvStore {
 public:
  virtual ~KvStore() = default;
  virtual boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) = 0;
  virtual boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) = 0;
  virtual boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) = 0;
};

}  // namespace agentrt
