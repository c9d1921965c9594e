#include "serve/tracing_config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace agentrt::serve {
namespace {

EnvLookupFn env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(TracingConfig, StandardVariablesThenAgentrtOnesWin) {
  TracingConfig tracing;
  ASSERT_TRUE(apply_tracing_env(env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}}), tracing).ok());
  EXPECT_EQ(tracing.endpoint, "http://collector:4318/v1/traces");
  ASSERT_TRUE(apply_tracing_env(env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"},
                                        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:4318/traces"},
                                        {"OTEL_TRACES_SAMPLER_ARG", "0.5"},
                                        {"OTEL_SERVICE_NAME", "helpdesk-prod"}}),
                                tracing)
                  .ok());
  EXPECT_EQ(tracing.endpoint, "http://b:4318/traces");
  EXPECT_EQ(tracing.sampling_ratio, 0.5);
  EXPECT_EQ(tracing.service_name, "helpdesk-prod");
  ASSERT_TRUE(apply_tracing_env(env_of({{"OTEL_TRACES_SAMPLER_ARG", "0.5"},
                                        {"AGENTRT_TRACING_SAMPLING_RATIO", "0.1"},
                                        {"AGENTRT_TRACING_ENDPOINT", "http://c:4318/v1/traces"}}),
                                tracing)
                  .ok());
  EXPECT_EQ(tracing.endpoint, "http://c:4318/v1/traces");
  EXPECT_EQ(tracing.sampling_ratio, 0.1);
  ASSERT_TRUE(apply_tracing_env(env_of({{"OTEL_SDK_DISABLED", "true"}}), tracing).ok());
  EXPECT_EQ(tracing.endpoint, "");
}

TEST(TracingConfig, ARatioOutsideZeroToOneNamesTheSetting) {
  TracingConfig tracing;
  const auto bad = apply_tracing_env(env_of({{"AGENTRT_TRACING_SAMPLING_RATIO", "1.5"}}), tracing);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "AGENTRT_TRACING_SAMPLING_RATIO: expected a number from 0 to 1, got \"1.5\"");
  EXPECT_FALSE(parse_sampling_ratio("half", "--tracing-sampling-ratio").ok());
  EXPECT_FALSE(parse_sampling_ratio("nan", "--tracing-sampling-ratio").ok());
  EXPECT_EQ(*parse_sampling_ratio("0", "x"), 0.0);
}

TEST(TracingConfig, TheBatchSettingsComeFromTheStandardVariables) {
  TracingConfig tracing;
  EXPECT_EQ(tracing.max_batch, 512);
  EXPECT_EQ(tracing.max_queue, 8192);
  EXPECT_EQ(tracing.export_interval, std::chrono::milliseconds(1'000));
  ASSERT_TRUE(apply_tracing_env(env_of({{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2048"},
                                        {"OTEL_BSP_MAX_QUEUE_SIZE", "32768"},
                                        {"OTEL_BSP_SCHEDULE_DELAY", "250"}}),
                                tracing)
                  .ok());
  EXPECT_EQ(tracing.max_batch, 2048);
  EXPECT_EQ(tracing.max_queue, 32768);
  EXPECT_EQ(tracing.export_interval, std::chrono::milliseconds(250));
}

TEST(TracingConfig, ABadBatchSettingNamesTheVariableAndTheRange) {
  TracingConfig tracing;
  auto bad = apply_tracing_env(env_of({{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0"}}), tracing);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE: expected a whole number from 1 to 65536, got \"0\"");
  bad = apply_tracing_env(env_of({{"OTEL_BSP_MAX_QUEUE_SIZE", "lots"}}), tracing);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "OTEL_BSP_MAX_QUEUE_SIZE: expected a whole number from 1 to 1048576, got \"lots\"");
  bad = apply_tracing_env(env_of({{"OTEL_BSP_SCHEDULE_DELAY", "5s"}}), tracing);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "OTEL_BSP_SCHEDULE_DELAY: expected a whole number from 1 to 3600000, got \"5s\"");
  EXPECT_EQ(tracing.max_batch, 512) << "nothing changed";

  tracing.endpoint = "http://collector:4318/v1/traces";
  tracing.max_batch = 4096;
  tracing.max_queue = 2048;
  const auto checked = check_tracing(tracing, "config serve.yaml");
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().message,
            "config serve.yaml: tracing.max_batch (4096) must not exceed tracing.max_queue (2048)");
  tracing.max_queue = 8192;
  tracing.export_interval = std::chrono::milliseconds(0);  // export_interval: 0s in the file
  const auto zero = check_tracing(tracing, "config serve.yaml");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message, "config serve.yaml: tracing.export_interval must be above zero");
}

TEST(TracingConfig, OnlyHttpEndpointsAreAccepted) {
  TracingConfig tracing;
  tracing.endpoint = "collector:4318";
  EXPECT_FALSE(check_tracing(tracing, "config serve.yaml").ok());
  tracing.endpoint = "https://collector:4318/v1/traces";
  EXPECT_TRUE(check_tracing(tracing, "config serve.yaml").ok());
}

TEST(TracingConfig, HeadersComeFromTheNamedVariablePercentDecoded) {
  TracingConfig tracing;
  tracing.headers_env = "OTLP_HEADERS";
  const auto headers =
      tracing_headers(tracing, env_of({{"OTLP_HEADERS", "x-api-key=abc%3D%3D , x-team = blue"},
                                       {"OTEL_EXPORTER_OTLP_HEADERS", "ignored=1"}}));
  ASSERT_TRUE(headers.ok()) << headers.error().message;
  ASSERT_EQ(headers->size(), 2U);
  EXPECT_EQ((*headers)[0], (std::pair<std::string, std::string>{"x-api-key", "abc=="}));
  EXPECT_EQ((*headers)[1], (std::pair<std::string, std::string>{"x-team", "blue"}));
  tracing.headers_env.clear();
  const auto standard = tracing_headers(tracing, env_of({{"OTEL_EXPORTER_OTLP_HEADERS", "a=1"}}));
  ASSERT_TRUE(standard.ok());
  EXPECT_EQ(standard->size(), 1U);
  EXPECT_TRUE(tracing_headers(tracing, env_of({}))->empty());
}

TEST(TracingConfig, AMalformedHeaderListNeverQuotesTheSecret) {
  TracingConfig tracing;
  tracing.headers_env = "OTLP_HEADERS";
  for (const std::string bad : {"x-api-key=s3cr3t-value,oops", "x-api-key=s3cr3t-value,=v", "bad name=s3cr3t-value",
                                "x-api-key=s3cr3t-value%zz", "x-api-key=s3cr3t-value%0d%0a"}) {
    const auto headers = tracing_headers(tracing, env_of({{"OTLP_HEADERS", bad}}));
    ASSERT_FALSE(headers.ok()) << bad;
    EXPECT_EQ(headers.error().message.find("s3cr3t"), std::string::npos) << headers.error().message;
    EXPECT_NE(headers.error().message.find("OTLP_HEADERS: entry"), std::string::npos) << headers.error().message;
  }
  const auto unset = tracing_headers(tracing, env_of({}));
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.error().message, "tracing.headers_env: the variable OTLP_HEADERS is not set");
}

}  // namespace
}  // namespace agentrt::serve
