#pragma once
// The agentrt table's schema: creation (`agentrt admin create-tables`) and the version check
// every store runs at open. The layout is in backends/aws/README.md, "DynamoDB table design".

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "backends/dynamodb/dynamodb_connection.hpp"
#include "core/model/error.hpp"

namespace agentrt::dynamodb {

enum class TableCreation { created, existed };

// Creates the table and its three GSIs (PAY_PER_REQUEST) unless it exists, waits until the
// table and every index are ACTIVE (at most `wait_max`: Errc::timeout), and writes the schema
// version item if it is missing. Idempotent: running it again changes nothing.
boost::asio::awaitable<Result<TableCreation>> create_table(DynamoDbConnection& db, std::chrono::milliseconds wait_max);

// Errc::not_found when the table or its version item is missing, Errc::invalid (naming the
// expected and found versions) when the version differs.
boost::asio::awaitable<Result<void>> check_schema(DynamoDbConnection& db);

}  // namespace agentrt::dynamodb
