#include "backends/aws/aws_settings.hpp"

#include <gtest/gtest.h>

#include "backends/aws/aws_profile_files.hpp"
#include "backends/aws/aws_test_support.hpp"

namespace agentrt {
namespace {

using testing::env_of;
using testing::write_file;

TEST(AwsSettings, RegionComesFromAwsRegionThenDefaultRegionThenProfile) {
  AwsProfile profile;
  profile.values["region"] = "eu-west-3";
  EXPECT_EQ(resolve_aws_settings(env_of({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "eu-west-1"}}), profile)->region,
            "us-west-2");
  EXPECT_EQ(resolve_aws_settings(env_of({{"AWS_DEFAULT_REGION", "eu-west-1"}}), profile)->region, "eu-west-1");
  EXPECT_EQ(resolve_aws_settings(env_of({}), profile)->region, "eu-west-3");
  const auto none = resolve_aws_settings(env_of({}), AwsProfile{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::invalid);
  EXPECT_NE(none.error().message.find("AWS_REGION"), std::string::npos);
}

TEST(AwsSettings, ServiceEndpointBeatsTheGlobalOverrideWhichBeatsTheRegionalDefault) {
  const auto settings = resolve_aws_settings(env_of({{"AWS_REGION", "eu-west-1"},
                                                     {"AGENTRT_AWS_ENDPOINT", "http://127.0.0.1:4566"},
                                                     {"AGENTRT_DYNAMODB_ENDPOINT", "http://127.0.0.1:8000/"}}),
                                             AwsProfile{});
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->endpoint_for("dynamodb")->url, "http://127.0.0.1:8000/");
  EXPECT_EQ(settings->endpoint_for("dynamodb")->authority, "127.0.0.1:8000");
  EXPECT_EQ(settings->endpoint_for("sqs")->url, "http://127.0.0.1:4566/");
  const auto regional = resolve_aws_settings(env_of({{"AWS_REGION", "eu-west-1"}}), AwsProfile{});
  EXPECT_EQ(regional->endpoint_for("sqs")->url, "https://sqs.eu-west-1.amazonaws.com/");
  EXPECT_EQ(regional->endpoint_for("sqs")->authority, "sqs.eu-west-1.amazonaws.com");
}

TEST(AwsSettings, BadEndpointsAreRejectedWithTheVariableName) {
  const auto bad = resolve_aws_settings(env_of({{"AWS_REGION", "x"}, {"AGENTRT_SQS_ENDPOINT", "ftp://host"}}), AwsProfile{});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("AGENTRT_SQS_ENDPOINT"), std::string::npos);
  EXPECT_FALSE(parse_aws_endpoint("http://user:pw@host/").ok());
  EXPECT_FALSE(parse_aws_endpoint("http://host/?a=b").ok());
  EXPECT_FALSE(parse_aws_endpoint("http:///").ok());
}

TEST(AwsProfileFiles, ANamedProfileReadsConfigAndCredentialsAndTheCredentialsFileWins) {
  const ScratchDir dir("aws-profile");
  const auto config = write_file(dir, "config",
                                "[default]\nregion = us-east-1\n\n[profile work]\nregion = eu-central-1\n"
                                "aws_access_key_id = FROMCONFIG\n# comment\n");
  const auto credentials = write_file(dir, "credentials",
                                     "[default]\naws_access_key_id = DEFAULTKEY\n[work]\n"
                                     "aws_access_key_id = AKIDWORK\naws_secret_access_key = secretwork\n");
  const auto profile = load_aws_profile(
      env_of({{"AWS_PROFILE", "work"}, {"AWS_CONFIG_FILE", config}, {"AWS_SHARED_CREDENTIALS_FILE", credentials}}));
  ASSERT_TRUE(profile.ok()) << profile.error().message;
  EXPECT_EQ(profile->name, "work");
  EXPECT_EQ(profile->value("region"), "eu-central-1");
  EXPECT_EQ(profile->value("aws_access_key_id"), "AKIDWORK");
  EXPECT_EQ(profile->value("aws_secret_access_key"), "secretwork");

  const auto fallback = load_aws_profile(env_of({{"AWS_CONFIG_FILE", config}, {"AWS_SHARED_CREDENTIALS_FILE", credentials}}));
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->value("region"), "us-east-1");
  EXPECT_EQ(fallback->value("aws_access_key_id"), "DEFAULTKEY");
}

TEST(AwsProfileFiles, MissingFilesAreFineButAMissingNamedProfileIsAnError) {
  const ScratchDir dir("aws-profile");
  const auto none = load_aws_profile(env_of({{"HOME", "/nonexistent-home"}}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found);
  const auto config = write_file(dir, "config", "[profile other]\nregion = x\n");
  const auto missing = load_aws_profile(env_of({{"AWS_PROFILE", "work"}, {"AWS_CONFIG_FILE", config}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::invalid);
  EXPECT_NE(missing.error().message.find("'work'"), std::string::npos);
}

}  // namespace
}  // namespace agentrt
