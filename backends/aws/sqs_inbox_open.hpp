#pragma once
// open_sqs_inbox: the SQS InboxQueue with everything it needs (CurlClient on `executor`,
// credentials from the default chain, region and endpoint), for `agentrt serve`.
// Reads the profile files: call at startup. Use the result on `executor` only.

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "backends/aws/aws_env.hpp"
#include "core/model/error.hpp"
#include "core/ports/inbox_queue.hpp"
#include "core/runtime/dependency_health.hpp"

namespace agentrt {

struct SqsInboxOptions {
  std::string queue_url;  // the FIFO queue
  std::string region;     // empty: AWS_REGION / AWS_DEFAULT_REGION / the profile's
  std::string endpoint;   // empty: AGENTRT_SQS_ENDPOINT / AGENTRT_AWS_ENDPOINT / AWS's
  DependencyHealth* health = nullptr;  // optional, outlives the queue: every call's outcome (readiness)
};

Result<std::unique_ptr<InboxQueue>> open_sqs_inbox(const boost::asio::any_io_executor& executor, SqsInboxOptions options,
                                                   const AwsEnvLookup& env);

}  // namespace agentrt
