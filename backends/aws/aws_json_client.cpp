#include "backends/aws/aws_json_client.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include "backends/aws/sigv4_signer.hpp"

namespace agentrt {
namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

AwsCallResult failed(Error error, AwsErrorDetail detail, int attempts) {
  AwsCallResult out;
  out.result = std::move(error);
  out.detail = std::move(detail);
  out.attempts = attempts;
  return out;
}

milliseconds remaining(steady::time_point deadline) {
  return std::max(milliseconds{0}, std::chrono::duration_cast<milliseconds>(deadline - steady::now()));
}

}  // namespace

AwsJsonClient::AwsJsonClient(CurlClient& http, AwsCredentialsProvider& credentials, AwsSettings settings,
                             AwsJsonClientOptions options, AwsWallClock clock)
    : http_(http),
      credentials_(credentials),
      settings_(std::move(settings)),
      options_(options),
      clock_(std::move(clock)),
      jitter_(options.jitter_seed ? RetryJitter(*options.jitter_seed) : RetryJitter()) {}

HttpRequest AwsJsonClient::signed_request(const AwsEndpoint& endpoint, const std::string& service,
                                          const std::string& target, const std::string& payload,
                                          const AwsCredentials& credentials, milliseconds timeout) const {
  SigV4Request to_sign;
  to_sign.method = "POST";
  to_sign.path = endpoint.path;
  to_sign.headers = {{"Host", endpoint.authority},
                     {"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", target}};
  to_sign.body = payload;
  SigV4Params params;
  params.region = settings_.region;
  params.service = service;
  params.time = clock_();
  const SigV4Signature signature = sigv4_sign(to_sign, credentials, params);

  HttpRequest request;
  request.method = "POST";
  request.url = endpoint.url;
  request.headers = std::move(to_sign.headers);
  request.headers.insert(request.headers.end(), signature.headers_to_add.begin(), signature.headers_to_add.end());
  request.headers.emplace_back("Accept", "application/json");
  request.body = payload;
  request.timeout = timeout;
  request.response_bytes_max = options_.response_bytes_max;
  return request;
}

void AwsJsonClient::report_health(const AwsFailure& failure, bool may_retry) const {
  if (options_.health == nullptr) return;
  switch (failure.error.code) {
    case Errc::retryable:  // no answer: refused, reset, 5xx (503 included)
    case Errc::timeout:
      options_.health->unavailable(failure.error.message);
      break;
    case Errc::throttled:  // slow, not gone: only a call that gives up on it counts
      if (!may_retry) options_.health->unavailable("throttled: " + failure.error.message);
      break;
    default:
      options_.health->answered();  // the service answered: it refused
      break;
  }
}

boost::asio::awaitable<AwsCallResult> AwsJsonClient::call(std::string service, std::string target, nlohmann::json body) {
  const std::string what = service + " " + target;
  const auto endpoint = settings_.endpoint_for(service);
  if (!endpoint) co_return failed(endpoint.error().with_context(what), {}, 0);
  const std::string payload = body.dump();
  const auto deadline = steady::now() + options_.call_timeout;
  const int attempts_max = std::max(1, options_.retry.attempts);

  for (int attempt = 1;; ++attempt) {
    auto credentials = co_await credentials_.credentials();
    if (!credentials) co_return failed(credentials.error().with_context(what + ": credentials"), {}, attempt);
    // At least 1 ms: CurlClient refuses a zero timeout, and the deadline check below keeps this rare.
    const milliseconds timeout = std::max(milliseconds{1}, std::min(options_.request_timeout, remaining(deadline)));
    HttpRequest request = signed_request(*endpoint, service, target, payload, *credentials, timeout);
    auto response = co_await http_.request(std::move(request));

    AwsFailure failure;
    if (!response) {
      if (response.error().code == Errc::cancelled) co_return failed(response.error().with_context(what), {}, attempt);
      failure = classify_aws_transport_error(response.error(), what);
    } else if (response->status >= 200 && response->status < 300) {
      const std::string& text = response->body;
      auto parsed = nlohmann::json::parse(text.empty() ? std::string("{}") : text, nullptr, false);
      if (parsed.is_discarded()) co_return failed(Error{Errc::invalid, what + ": answer is not JSON"}, {}, attempt);
      if (options_.health != nullptr) options_.health->answered();
      AwsCallResult out;
      out.result = std::move(parsed);
      out.attempts = attempt;
      co_return out;
    } else {
      failure = classify_aws_answer(response->status, response->body, what);
    }
    const milliseconds delay = aws_retry_delay(options_.retry, attempt, jitter_.next());
    const bool budget_left = attempt < attempts_max && remaining(deadline) > delay;
    report_health(failure, budget_left);
    if (failure.retry == AwsRetryKind::none || !budget_left) {
      if (failure.retry != AwsRetryKind::none) {
        failure.error = Error{failure.error.code, failure.error.message + " (gave up after " + std::to_string(attempt) +
                                                      (attempt == 1 ? " attempt)" : " attempts)")};
      }
      co_return failed(std::move(failure.error), std::move(failure.detail), attempt);
    }
    if (failure.retry == AwsRetryKind::expired_credentials) credentials_.invalidate();
    spdlog::debug("aws {} attempt {}/{} failed: {}; retrying in {} ms", what, attempt, attempts_max,
                  failure.error.message, delay.count());
    auto slept = co_await sleep_for(delay);
    if (!slept) co_return failed(slept.error().with_context(what), std::move(failure.detail), attempt);
  }
}

}  // namespace agentrt
