#include "serve/serve_config.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>
#include <utility>

#include "core/definition/diagnostics.hpp"
#include "core/definition/duration.hpp"
#include "core/definition/object_reader.hpp"
#include "core/definition/source_document.hpp"

namespace agentrt::serve {
namespace {

using std::chrono::milliseconds;

constexpr long long kMaxSessions = 100'000;
constexpr long long kMinBody = 1024;  // the same bounds for the file and AGENTRT_MAX_BODY_BYTES
constexpr long long kMaxBody = 64LL * 1024 * 1024;
constexpr std::string_view kIdExpectation = "1 to 64 characters of [A-Za-z0-9_.-]";
constexpr std::string_view kLogLevelExpectation = "trace, debug, info, warn, error, critical or off";

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_hex_sha256(const std::string& text) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void read_lease(const ObjectReader& top, ServeConfig& config) {
  const auto* lease = top.mapping("lease", Need::optional, "a mapping with ttl and heartbeat");
  if (lease == nullptr) return;
  ObjectReader r(*lease, top.path_of("lease"), top.diag(), {"ttl", "heartbeat"});
  if (auto ttl = r.duration("ttl")) config.lease.ttl = *ttl;
  if (auto beat = r.duration("heartbeat")) config.lease.heartbeat = *beat;
}

void read_store(const ObjectReader& top, ServeConfig& config) {
  const auto* store = top.mapping("store", Need::optional, "a mapping with kind (sqlite or dynamodb)");
  if (store == nullptr) return;
  ObjectReader r(*store, top.path_of("store"), top.diag(), {"kind", "table", "region", "endpoint"});
  if (auto kind = r.string("kind", Need::optional, "sqlite or dynamodb")) {
    if (*kind != "sqlite" && *kind != "dynamodb") {
      top.diag().error("store.kind", "expected sqlite or dynamodb, got \"" + *kind + "\"");
    }
    config.store.kind = *kind;
  }
  config.store.table = r.string("table", Need::optional, "a DynamoDB table name").value_or(config.store.table);
  config.store.region = r.string("region", Need::optional, "an AWS region").value_or(config.store.region);
  config.store.endpoint = r.string("endpoint", Need::optional, "an http(s) URL").value_or(config.store.endpoint);
}

void read_inbox(const ObjectReader& top, ServeConfig& config) {
  const auto* inbox = top.mapping("inbox", Need::optional, "a mapping with kind (store or sqs)");
  if (inbox == nullptr) return;
  ObjectReader r(*inbox, top.path_of("inbox"), top.diag(),
                 {"kind", "queue_url", "region", "endpoint", "wait", "visibility"});
  if (auto kind = r.string("kind", Need::optional, "store or sqs")) {
    if (*kind != "store" && *kind != "sqs") top.diag().error("inbox.kind", "expected store or sqs, got \"" + *kind + "\"");
    config.inbox.kind = *kind;
  }
  auto& in = config.inbox;
  in.queue_url = r.string("queue_url", Need::optional, "an SQS FIFO queue URL").value_or(in.queue_url);
  in.region = r.string("region", Need::optional, "an AWS region").value_or(in.region);
  in.endpoint = r.string("endpoint", Need::optional, "an http(s) URL").value_or(in.endpoint);
  if (auto wait = r.duration("wait")) {
    if (*wait > std::chrono::seconds{20}) top.diag().error("inbox.wait", "SQS long polling waits at most 20s");
    in.consumer.wait = std::chrono::duration_cast<std::chrono::seconds>(*wait);
  }
  if (auto visibility = r.duration("visibility")) {
    if (*visibility < std::chrono::seconds{1} || *visibility > std::chrono::hours{12}) {
      top.diag().error("inbox.visibility", "expected 1s to 12h");
    }
    in.consumer.visibility = std::chrono::duration_cast<std::chrono::seconds>(*visibility);
  }
  if (in.kind == "sqs" && in.queue_url.empty()) top.diag().error("inbox.queue_url", "required with kind sqs");
}

void read_dispatch(const ObjectReader& top, ServeConfig& config) {
  const auto* dispatch = top.mapping("dispatch", Need::optional, "a mapping");
  if (dispatch == nullptr) return;
  ObjectReader r(*dispatch, top.path_of("dispatch"), top.diag(), {"max_active_sessions", "poll_interval", "org_quotas"});
  if (auto max = r.integer("max_active_sessions", Need::optional, 0, kMaxSessions, "an integer from 0 to 100000")) {
    config.max_active_sessions = static_cast<std::size_t>(*max);
  }
  if (auto poll = r.duration("poll_interval")) config.poll_interval = *poll;
  const auto* quotas = r.mapping("org_quotas", Need::optional, "a mapping of org id to a number of sessions");
  if (quotas == nullptr) return;
  for (const auto& [org, value] : quotas->items()) {
    const auto path = r.path_of("org_quotas") + "." + org;
    if (!valid_id(org)) top.diag().key_error(path, "org id must be " + std::string(kIdExpectation));
    if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > kMaxSessions) {
      top.diag().error(path, "expected an integer from 1 to 100000, got " + describe_value(value));
      continue;
    }
    config.org_quotas[org] = value.get<std::size_t>();
  }
}

void read_bots(const ObjectReader& top, ServeConfig& config, const std::string& config_dir) {
  const auto* bots = top.mapping("bots", Need::optional, "a mapping of bot name to a definition file");
  if (bots == nullptr) return;
  for (const auto& [bot, value] : bots->items()) {
    const auto path = top.path_of("bots") + "." + bot;
    if (!valid_id(bot)) top.diag().key_error(path, "bot name must be " + std::string(kIdExpectation));
    auto file = read_string(value, path, top.diag(), "a definition file path");
    if (!file) continue;
    // Relative to the config file, so the service works from any working directory.
    config.bots[bot] = (!file->empty() && file->front() != '/' && !config_dir.empty()) ? config_dir + "/" + *file : *file;
  }
}

void read_orgs(const ObjectReader& top, ServeConfig& config) {
  const auto* orgs = top.mapping("orgs", Need::optional, "a mapping of org id to {token_env} or {token_sha256}");
  if (orgs == nullptr) return;
  for (const auto& [org, value] : orgs->items()) {
    const auto path = top.path_of("orgs") + "." + org;
    if (!valid_id(org)) top.diag().key_error(path, "org id must be " + std::string(kIdExpectation));
    if (!value.is_object()) {
      top.diag().error(path, "expected a mapping with token_env or token_sha256, got " + describe_value(value));
      continue;
    }
    ObjectReader r(value, path, top.diag(), {"token_env", "token_sha256"});
    OrgAccess access{org, r.string("token_env", Need::optional, "an environment variable name").value_or(""),
                     r.string("token_sha256", Need::optional, "64 lower-case hex digits").value_or("")};
    if (access.token_env.empty() == access.token_sha256.empty()) {
      top.diag().error(path, "give exactly one of token_env or token_sha256");
      continue;
    }
    if (!access.token_sha256.empty() && !is_hex_sha256(access.token_sha256)) {
      top.diag().error(r.path_of("token_sha256"), "expected 64 lower-case hex digits (sha256 of the token)");
      continue;
    }
    config.orgs.push_back(std::move(access));
  }
}

void read_observability(const ObjectReader& top, ServeConfig& config) {
  if (const auto* metrics = top.mapping("metrics", Need::optional, "a mapping with org_labels")) {
    ObjectReader r(*metrics, top.path_of("metrics"), top.diag(), {"org_labels"});
    if (auto org_labels = r.boolean("org_labels")) config.metrics_org_labels = *org_labels;
  }
  if (auto level = top.string("log_level", Need::optional, std::string(kLogLevelExpectation))) {
    if (valid_log_level(*level)) {
      config.log_level = *level;
    } else {
      top.diag().error(top.path_of("log_level"), "expected " + std::string(kLogLevelExpectation) + ", got \"" + *level + "\"");
    }
  }
  if (auto env = top.string("admin_token_env", Need::optional, "an environment variable name")) config.admin_token_env = *env;
  // "off": no periodic reloads (SIGHUP still reloads).
  if (const auto* interval = top.find("config_reload_interval"); interval != nullptr && *interval == "off") {
    config.config_reload_interval = milliseconds{0};
  } else if (auto every = top.duration("config_reload_interval")) {
    config.config_reload_interval = *every;
  }
}

void read_llm(const ObjectReader& top, ServeConfig& config) {
  const auto* llm = top.mapping("llm", Need::optional, "a mapping");
  if (llm == nullptr) return;
  ObjectReader r(*llm, top.path_of("llm"), top.diag(), {"base_url", "provider", "model", "api_key_env"});
  config.llm.base_url = r.string("base_url", Need::optional, "an http(s) URL").value_or(config.llm.base_url);
  config.llm.provider = r.string("provider", Need::optional, "openai or scripted").value_or(config.llm.provider);
  config.llm.model = r.string("model", Need::optional, "a model name").value_or(config.llm.model);
  config.llm.api_key_env = r.string("api_key_env", Need::optional, "an environment variable name").value_or("");
}

// Only blank lines, comments and document markers: a YAML document without content.
bool blank_yaml(std::string_view text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    auto line = text.substr(start, end - start);
    const auto first = line.find_first_not_of(" \t\r");
    const auto last = line.find_last_not_of(" \t\r");
    line = first == std::string_view::npos ? std::string_view{} : line.substr(first, last + 1 - first);
    const bool empty = line.empty() || line.front() == '#' || line == "---" || line == "...";
    if (!empty) return false;
    start = end + 1;
  }
  return true;
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

// Only decimal digits: std::stoll alone would also take " 80" and "+80".
bool all_digits(std::string_view text) {
  return !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string_view::npos;
}

Result<std::size_t> parse_count(const std::string& text, long long min, long long max, const std::string& where) {
  const long long value = all_digits(text) ? std::stoll(text) : -1;
  if (value < min || value > max) {
    return Error{Errc::invalid, where + ": expected an integer from " + std::to_string(min) + " to " +
                                    std::to_string(max) + ", got \"" + text + "\""};
  }
  return static_cast<std::size_t>(value);
}

Result<milliseconds> parse_duration_setting(const std::string& text, const std::string& where) {
  auto d = parse_duration(text);
  if (!d) return Error{Errc::invalid, where + ": expected " + std::string(kDurationExpectation) + ", got \"" + text + "\""};
  return *d;
}

// "a=x,b=y" -> {{a,x},{b,y}}; every key a valid id, no duplicates, no empty value.
Result<std::vector<std::pair<std::string, std::string>>> parse_pairs(const std::string& text, const std::string& where,
                                                                     std::string_view value_name) {
  std::vector<std::pair<std::string, std::string>> pairs;
  const std::string expected = where + ": expected NAME=" + std::string(value_name) + "[,NAME=" +
                               std::string(value_name) + "...]";
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) return Error{Errc::invalid, expected + ", got \"" + item + "\""};
    auto key = item.substr(0, eq);
    if (!valid_id(key)) return Error{Errc::invalid, where + ": \"" + key + "\" must be " + std::string(kIdExpectation)};
    for (const auto& [seen, ignored] : pairs) {
      if (seen == key) return Error{Errc::invalid, where + ": \"" + key + "\" is given twice"};
    }
    pairs.emplace_back(std::move(key), item.substr(eq + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return pairs;
}

}  // namespace

Result<void> set_bots_from_text(const std::string& text, const std::string& where, ServeConfig& config) {
  auto pairs = parse_pairs(text, where, "DEFINITION_FILE");
  if (!pairs) return pairs.error();
  config.bots.clear();
  for (auto& [bot, path] : *pairs) config.bots[bot] = path;
  return ok_result();
}

Result<void> set_orgs_from_text(const std::string& text, const std::string& where, ServeConfig& config) {
  auto pairs = parse_pairs(text, where, "TOKEN_ENV");
  if (!pairs) return pairs.error();
  constexpr std::string_view kHashPrefix = "sha256:";
  std::vector<OrgAccess> orgs;
  for (auto& [org, value] : *pairs) {
    OrgAccess access{org, {}, {}};
    if (value.rfind(kHashPrefix, 0) == 0) {
      access.token_sha256 = value.substr(kHashPrefix.size());
      if (!is_hex_sha256(access.token_sha256)) {
        return Error{Errc::invalid, where + ": org " + org + ": sha256: must be followed by 64 lower-case hex digits"};
      }
    } else {
      access.token_env = value;
    }
    orgs.push_back(std::move(access));
  }
  config.orgs = std::move(orgs);
  return ok_result();
}

Result<void> set_org_quotas_from_text(const std::string& text, const std::string& where, ServeConfig& config) {
  auto pairs = parse_pairs(text, where, "SESSIONS");
  if (!pairs) return pairs.error();
  std::map<std::string, std::size_t> quotas;
  for (auto& [org, value] : *pairs) {
    auto n = parse_count(value, 1, kMaxSessions, where + ": org " + org);
    if (!n) return n.error();
    quotas[org] = *n;
  }
  config.org_quotas = std::move(quotas);
  return ok_result();
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

namespace {

// "host:port" into (host, port); `where` prefixes the problem.
Result<std::pair<std::string, unsigned short>> parse_host_port(const std::string& text, const std::string& where) {
  const auto colon = text.rfind(':');
  const std::string expected =
      (where.empty() ? "" : where + ": ") + "expected host:port such as 127.0.0.1:8080, got \"" + text + "\"";
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return Error{Errc::invalid, expected};
  const auto port_text = text.substr(colon + 1);
  const long long port = all_digits(port_text) ? std::stoll(port_text) : -1;
  if (port < 0 || port > 65535) return Error{Errc::invalid, expected};
  return std::pair<std::string, unsigned short>{text.substr(0, colon), static_cast<unsigned short>(port)};
}

}  // namespace

Result<void> parse_listen(const std::string& text, const std::string& where, ServeConfig& config) {
  auto parsed = parse_host_port(text, where);
  if (!parsed) return parsed.error();
  config.listen_host = parsed->first;
  config.listen_port = parsed->second;
  return ok_result();
}

Result<void> parse_grpc_listen(const std::string& text, const std::string& where, ServeConfig& config) {
  if (text == "off") {
    config.grpc_listen_host.clear();
    config.grpc_listen_port = 0;
    return ok_result();
  }
  auto parsed = parse_host_port(text, where);
  if (!parsed) {
    return Error{Errc::invalid, (where.empty() ? "" : where + ": ") +
                                    "expected host:port such as 127.0.0.1:50051, or off, got \"" + text + "\""};
  }
  config.grpc_listen_host = parsed->first;
  config.grpc_listen_port = parsed->second;
  return ok_result();
}

Result<void> load_serve_config_file(const std::string& path, ServeConfig& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errc::invalid, "config " + path + ": cannot be read (does it exist?)"};
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().size() > 1024 * 1024) return Error{Errc::invalid, "config " + path + ": larger than 1 MiB"};
  // An empty file (or only comments) means all defaults; the YAML reader refuses it as a
  // document that is not a mapping, so it is recognised here first.
  Result<SourceDocument> doc = SourceDocument{path, nlohmann::json::object(), {}};
  if (!blank_yaml(text.str())) {
    doc = read_yaml_document(text.str(), path, "a mapping of settings (listen, db, bots, orgs, ...)");
  }
  if (!doc) return doc.error();
  Diagnostics diag(path, &*doc);
  ObjectReader top(doc->root, "", diag,
                   {"listen", "db", "store", "inbox", "worker_id", "lease", "dispatch", "shutdown", "http", "grpc", "bots", "orgs",
                    "llm", "metrics", "log_level", "admin_token_env", "tracing", "config_reload_interval", "kafka",
                    "output_hub", "redis", "config_version_key"});
  if (auto listen = top.string("listen", Need::optional, "host:port such as 127.0.0.1:8080")) {
    if (auto parsed = parse_listen(*listen, "", config); !parsed) {
      diag.error("listen", parsed.error().message);  // the diagnostic names the key and line
    }
  }
  const auto dir = parent_dir(path);
  if (auto db = top.string("db", Need::optional, "a database file path")) {
    config.db_path = (!db->empty() && db->front() != '/' && !dir.empty()) ? dir + "/" + *db : *db;
  }
  if (auto worker = top.string("worker_id", Need::optional, std::string(kIdExpectation))) config.worker_id = *worker;
  read_store(top, config);
  read_inbox(top, config);
  read_lease(top, config);
  read_dispatch(top, config);
  if (const auto* shutdown = top.mapping("shutdown", Need::optional, "a mapping with grace")) {
    ObjectReader r(*shutdown, "shutdown", diag, {"grace"});
    if (auto grace = r.duration("grace")) config.shutdown_grace = *grace;
  }
  if (const auto* http = top.mapping("http", Need::optional, "a mapping with max_body_bytes")) {
    ObjectReader r(*http, "http", diag, {"max_body_bytes"});
    if (auto max = r.integer("max_body_bytes", Need::optional, kMinBody, kMaxBody, "an integer from 1024 to 67108864")) {
      config.max_body_bytes = static_cast<std::size_t>(*max);
    }
  }
  if (const auto* grpc = top.mapping("grpc", Need::optional, "a mapping with listen")) {
    ObjectReader r(*grpc, "grpc", diag, {"listen"});
    if (auto listen = r.string("listen", Need::optional, "host:port such as 127.0.0.1:50051, or off")) {
      if (auto parsed = parse_grpc_listen(*listen, "", config); !parsed) diag.error("grpc.listen", parsed.error().message);
    }
  }
  read_bots(top, config, dir);
  read_orgs(top, config);
  read_llm(top, config);
  read_tracing(top, config.tracing);
  read_kafka(top, config.kafka);
  read_redis(top, config.output_hub, config.redis);
  read_config_version_key(top, config.config_version_key);
  read_observability(top, config);
  if (!diag.empty()) return diag.to_error();
  config.config_path = path;
  return ok_result();
}

Result<void> apply_serve_env(const EnvLookup& env, ServeConfig& config) {
  auto read = [&](const char* name) { return env(name); };
  if (auto v = read("AGENTRT_LISTEN")) {
    if (auto parsed = parse_listen(*v, "AGENTRT_LISTEN", config); !parsed) return parsed;
  }
  if (auto v = read("AGENTRT_GRPC_LISTEN")) {
    if (auto parsed = parse_grpc_listen(*v, "AGENTRT_GRPC_LISTEN", config); !parsed) return parsed;
  }
  if (auto v = read("AGENTRT_DB")) config.db_path = *v;
  if (auto v = read("AGENTRT_STORE")) {
    if (*v != "sqlite" && *v != "dynamodb") {
      return Error{Errc::invalid, "AGENTRT_STORE: expected sqlite or dynamodb, got \"" + *v + "\""};
    }
    config.store.kind = *v;
  }
  if (auto v = read("AGENTRT_DYNAMODB_TABLE")) config.store.table = *v;
  if (auto v = read("AGENTRT_INBOX")) {
    if (*v != "store" && *v != "sqs") return Error{Errc::invalid, "AGENTRT_INBOX: expected store or sqs, got \"" + *v + "\""};
    config.inbox.kind = *v;
  }
  if (auto v = read("AGENTRT_SQS_QUEUE_URL")) config.inbox.queue_url = *v;
  if (auto v = read("AGENTRT_WORKER_ID")) config.worker_id = *v;
  const std::pair<const char*, milliseconds*> durations[] = {{"AGENTRT_LEASE_TTL", &config.lease.ttl},
                                                           {"AGENTRT_LEASE_HEARTBEAT", &config.lease.heartbeat},
                                                           {"AGENTRT_POLL_INTERVAL", &config.poll_interval},
                                                           {"AGENTRT_SHUTDOWN_GRACE", &config.shutdown_grace}};
  for (const auto& [name, target] : durations) {
    if (auto v = read(name)) {
      auto d = parse_duration_setting(*v, name);
      if (!d) return d.error();
      *target = *d;
    }
  }
  if (auto v = read("AGENTRT_CONFIG_RELOAD_INTERVAL")) {
    if (*v == "off") {
      config.config_reload_interval = milliseconds{0};
    } else {
      auto d = parse_duration_setting(*v, "AGENTRT_CONFIG_RELOAD_INTERVAL");
      if (!d) return d.error();
      config.config_reload_interval = *d;
    }
  }
  if (auto v = read("AGENTRT_CONFIG_VERSION_KEY")) {
    auto key = parse_config_version_key(*v, "AGENTRT_CONFIG_VERSION_KEY");
    if (!key) return key.error();
    config.config_version_key = *key;
  }
  if (auto v = read("AGENTRT_MAX_ACTIVE_SESSIONS")) {
    auto n = parse_count(*v, 0, kMaxSessions, "AGENTRT_MAX_ACTIVE_SESSIONS");
    if (!n) return n.error();
    config.max_active_sessions = *n;
  }
  if (auto v = read("AGENTRT_MAX_BODY_BYTES")) {
    auto n = parse_count(*v, kMinBody, kMaxBody, "AGENTRT_MAX_BODY_BYTES");
    if (!n) return n.error();
    config.max_body_bytes = *n;
  }
  if (auto v = read("AGENTRT_LLM_BASE_URL")) config.llm.base_url = *v;
  if (auto v = read("AGENTRT_LLM_PROVIDER")) config.llm.provider = *v;
  if (auto v = read("AGENTRT_LLM_MODEL")) config.llm.model = *v;
  if (auto v = read("AGENTRT_LLM_API_KEY_ENV")) config.llm.api_key_env = *v;
  if (auto v = read("AGENTRT_BOTS")) {
    if (auto set = set_bots_from_text(*v, "AGENTRT_BOTS", config); !set) return set;
  }
  if (auto v = read("AGENTRT_ORGS")) {
    if (auto set = set_orgs_from_text(*v, "AGENTRT_ORGS", config); !set) return set;
  }
  if (auto v = read("AGENTRT_LOG_LEVEL")) {
    if (!valid_log_level(*v)) {
      return Error{Errc::invalid, "AGENTRT_LOG_LEVEL: expected " + std::string(kLogLevelExpectation) + ", got \"" + *v + "\""};
    }
    config.log_level = *v;
  }
  if (auto v = read("AGENTRT_ADMIN_TOKEN_ENV")) config.admin_token_env = *v;
  if (auto v = read("AGENTRT_ORG_QUOTAS")) {
    if (auto set = set_org_quotas_from_text(*v, "AGENTRT_ORG_QUOTAS", config); !set) return set;
  }
  if (auto applied = apply_tracing_env(env, config.tracing); !applied) return applied;
  if (auto applied = apply_kafka_env(env, config.kafka); !applied) return applied;
  if (auto applied = apply_redis_env(env, config.output_hub, config.redis); !applied) return applied;
  return ok_result();
}

bool valid_log_level(const std::string& level) {
  constexpr std::array<std::string_view, 7> kLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};
  return std::find(kLevels.begin(), kLevels.end(), level) != kLevels.end();
}

Result<void> check_serve_config(const ServeConfig& config) {
  const std::string where = config.config_path.empty() ? "serve" : "config " + config.config_path;
  if (config.lease.heartbeat * 2 > config.lease.ttl) {
    return Error{Errc::invalid, where + ": lease.heartbeat (" + std::to_string(config.lease.heartbeat.count()) +
                                    " ms) must be at most half of lease.ttl (" + std::to_string(config.lease.ttl.count()) +
                                    " ms), so one missed renewal does not lose the lease"};
  }
  if (config.inbox.kind == "sqs" && config.inbox.queue_url.empty()) {
    return Error{Errc::invalid, where + ": inbox kind sqs needs a queue_url (AGENTRT_SQS_QUEUE_URL)"};
  }
  if (!config.worker_id.empty() && !valid_id(config.worker_id) && config.worker_id.find(':') == std::string::npos) {
    return Error{Errc::invalid, where + ": worker_id must be " + std::string(kIdExpectation)};
  }
  for (const auto& [org, quota] : config.org_quotas) {
    if (quota > config.max_active_sessions) {
      return Error{Errc::invalid, where + ": dispatch.org_quotas." + org + " (" + std::to_string(quota) +
                                      ") is above dispatch.max_active_sessions (" +
                                      std::to_string(config.max_active_sessions) + ")"};
    }
  }
  if (config.orgs.empty()) {
    return Error{Errc::invalid, where + ": no orgs: give at least one org with its token (orgs: {acme: {token_env: ACME_TOKEN}})"};
  }
  if (config.listen_host.empty()) return Error{Errc::invalid, where + ": listen host is empty"};
  if (auto kafka = check_kafka(config.kafka, where); !kafka) return kafka;
  if (auto checked = check_redis(config.output_hub, config.redis, where); !checked) return checked;
  return check_tracing(config.tracing, where);
}

}  // namespace agentrt::serve
