#include "backends/dynamodb/dynamodb_connection.hpp"

#include <cstdio>
#include <random>
#include <utility>

#include "backends/aws/aws_credential_sources.hpp"
#include "backends/aws/aws_profile_files.hpp"
#include "backends/aws/aws_settings.hpp"

namespace agentrt {

DynamoDbConnection::DynamoDbConnection(DynamoDbOptions options)
    : options_(std::move(options)), work_(boost::asio::make_work_guard(io_)) {
  std::random_device random;
  char prefix[17];
  std::snprintf(prefix, sizeof prefix, "%08x%08x", random(), random());
  token_prefix_ = prefix;
}

std::string DynamoDbConnection::next_request_token() {
  return token_prefix_ + "-" + std::to_string(++tokens_issued_);  // at most 36 characters
}

DynamoDbConnection::~DynamoDbConnection() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  // The client and its providers go before the io_context their sockets are registered with.
  client_.reset();
  credentials_.reset();
  http_.reset();
}

Result<std::unique_ptr<DynamoDbConnection>> DynamoDbConnection::open(DynamoDbOptions options, const AwsEnvLookup& env) {
  const std::string what = "dynamodb table " + options.table;
  if (options.table.size() < 3 || options.table.size() > 255) {
    return Error{Errc::invalid, what + ": a table name has 3 to 255 characters"};
  }
  auto profile = load_aws_profile(env);
  if (!profile) return profile.error().with_context(what);
  auto settings = resolve_aws_settings(
      [&](const std::string& name) -> std::optional<std::string> {
        if ((name == "AWS_REGION") && !options.region.empty()) return options.region;
        if (name == "AGENTRT_DYNAMODB_ENDPOINT" && !options.endpoint.empty()) return options.endpoint;
        return env ? env(name) : std::nullopt;
      },
      *profile);
  if (!settings) return settings.error().with_context(what);
  if (auto endpoint = settings->endpoint_for("dynamodb"); !endpoint) return endpoint.error().with_context(what);

  std::unique_ptr<DynamoDbConnection> connection(new DynamoDbConnection(std::move(options)));
  auto& c = *connection;
  c.http_ = std::make_unique<CurlClient>(c.io_.get_executor());
  if (c.options_.static_credentials) {
    c.credentials_ = make_static_credentials(*c.options_.static_credentials);
  } else {
    auto chain = make_default_credentials_chain(*c.http_, env, *profile, settings->region);
    if (!chain) return chain.error().with_context(what);
    c.credentials_ = std::move(chain.value());
  }
  c.client_ = std::make_unique<AwsJsonClient>(*c.http_, *c.credentials_, std::move(settings.value()), c.options_.client);
  c.thread_ = std::thread([&io = c.io_] { io.run(); });
  return connection;
}

boost::asio::awaitable<AwsCallResult> DynamoDbConnection::call(std::string operation, nlohmann::json body) {
  std::string target = "DynamoDB_20120810." + operation;
  std::string service = "dynamodb";
  co_return co_await client_->call(std::move(service), std::move(target), std::move(body));
}

}  // namespace agentrt
