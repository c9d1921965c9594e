#pragma once
// The KV endpoints of the serve HTTP API (docs/serve.md, "KV"): a small key-value store per
// (org, bot), the org being the caller's token's, so a token never reads or writes another
// org's entries (the store itself keeps the scopes apart: core/ports/kv_store.hpp).
//
//   GET    /v1/bots/{bot}/kv?key=a&key=b    {"bot", "entries": {k: value}, "missing": [k]}
//   PUT    /v1/bots/{bot}/kv                {"entries": {k: <json>, ...}} -> {"bot", "written"}
//   DELETE /v1/bots/{bot}/kv?key=a&key=b    -> {"bot", "erased"}: keys asked to erase
//
// `bot` must be configured on this server. Bounds (core/model/kv_bounds.hpp): 1..250 keys per
// call, keys 1..512 bytes of UTF-8, values 64 KiB as JSON; the body at most
// http.max_body_bytes. Everything else answers the API's usual JSON errors.

#include <map>
#include <string>

#include "backends/http_server/router.hpp"
#include "core/model/definition.hpp"
#include "core/ports/kv_store.hpp"
#include "serve/bot_catalog.hpp"
#include "serve/org_tokens.hpp"

namespace agentrt::serve {

struct KvApiContext {
  KvStore* kv = nullptr;
  const OrgTokens* tokens = nullptr;
  const BotCatalog* bots = nullptr;  // the configured bots (a reload may change them)
};

class KvApi {
 public:
  explicit KvApi(KvApiContext context) : c_(context) {}
  void add_routes(Router& router);

 private:
  boost::asio::awaitable<ServerResponse> get(const ServerRequest& request, std::string bot);
  boost::asio::awaitable<ServerResponse> put(const ServerRequest& request, std::string bot);
  boost::asio::awaitable<ServerResponse> erase(const ServerRequest& request, std::string bot);

  KvApiContext c_;
};

}  // namespace agentrt::serve
