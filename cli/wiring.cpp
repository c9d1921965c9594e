#include "cli/wiring.hpp"

#include "backends/aws/sqs_inbox_open.hpp"
#include "backends/dynamodb/dynamodb_schema.hpp"
#include "backends/dynamodb/dynamodb_session_store.hpp"
#include "backends/http/curl_client.hpp"
#include "backends/llm/openai_provider.hpp"
#include "backends/llm/scripted_provider.hpp"
#include "backends/sqlite/sqlite_session_store.hpp"
#include "backends/tools/command_tool_runner.hpp"
#include "backends/tools/http_tool_runner.hpp"

namespace agentrt::cli {

Adapters::Adapters() = default;
Adapters::~Adapters() = default;
Adapters::Adapters(Adapters&&) noexcept = default;
Adapters& Adapters::operator=(Adapters&&) noexcept = default;

Result<Adapters> make_adapters(const boost::asio::any_io_executor& ex, const ModelConfig& model) {
  Adapters adapters;
  adapters.http = std::make_unique<CurlClient>(ex);
  if (model.provider == "scripted") {
    auto scripted = make_scripted_provider(ex, model);
    if (!scripted) return scripted.error();
    adapters.llm = std::move(scripted.value());
  } else if (model.provider == "openai") {
    adapters.llm = make_openai_provider(*adapters.http);
  } else {
    return Error{Errc::invalid, "unknown model provider \"" + model.provider + "\" (expected openai or scripted)"};
  }
  adapters.http_tools = make_http_tool_runner(*adapters.http);
  adapters.command_tools = make_command_tool_runner(ex);
  return adapters;
}

Result<std::unique_ptr<SessionStore>> open_embedded_store(const std::filesystem::path& path, bool read_only) {
  SqliteOptions options;
  options.path = path;
  options.read_only = read_only;
  auto store = open_sqlite_session_store(std::move(options));
  if (!store) return store.error();
  return std::unique_ptr<SessionStore>(std::move(store.value()));
}

Result<EmbeddedStores> open_embedded_stores(const std::filesystem::path& path, bool read_only) {
  SqliteOptions options;
  options.path = path;
  options.read_only = read_only;
  auto store = open_sqlite_session_store(std::move(options));
  if (!store) return store.error();
  auto leases = (*store)->lease_store();
  return EmbeddedStores{std::move(store.value()), std::move(leases)};
}

namespace {

DynamoDbOptions dynamodb_options(const DynamoDbTarget& target) {
  DynamoDbOptions options;
  options.table = target.table;
  options.region = target.region;
  options.endpoint = target.endpoint;
  options.client.health = target.health;
  return options;
}

}  // namespace

Result<EmbeddedStores> open_dynamodb_stores(const DynamoDbTarget& target, const EnvReader& env) {
  auto store = open_dynamodb_session_store(dynamodb_options(target), env);
  if (!store) return store.error();
  auto leases = (*store)->lease_store();
  return EmbeddedStores{std::move(store.value()), std::move(leases)};
}

Result<bool> create_dynamodb_tables(const DynamoDbTarget& target, const EnvReader& env, std::chrono::milliseconds wait_max) {
  auto options = dynamodb_options(target);
  options.check_schema = false;
  auto connection = DynamoDbConnection::open(std::move(options), env);
  if (!connection) return connection.error();
  auto& db = **connection;
  auto created = db.run_blocking<dynamodb::TableCreation>([&db, wait_max] { return dynamodb::create_table(db, wait_max); });
  if (!created) return created.error();
  return *created == dynamodb::TableCreation::created;
}

Result<std::unique_ptr<InboxQueue>> open_sqs_inbox_queue(const boost::asio::any_io_executor& executor,
                                                         const SqsInboxTarget& target, const EnvReader& env) {
  return open_sqs_inbox(executor, SqsInboxOptions{target.queue_url, target.region, target.endpoint, target.health},
                        env);
}

}  // namespace agentrt::cli
