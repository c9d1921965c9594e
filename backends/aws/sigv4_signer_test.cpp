// SigV4 against the official AWS test suite (awslabs/aws-c-auth tests/aws-signing-test-suite/v4,
// copied into testdata/aws-sigv4/): each case's request is signed with its context and the
// canonical request, string to sign and signed request must match byte for byte.

#include "backends/aws/sigv4_signer.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/aws/aws_crypto.hpp"

namespace agentrt {
namespace {

namespace fs = std::filesystem;

fs::path suite_dir() {
  const char* root = std::getenv("AGENTRT_SOURCE_DIR");
  return fs::path(root != nullptr ? root : ".") / "testdata" / "aws-sigv4";
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// request.txt: "METHOD TARGET HTTP/1.1", "Name:value" lines, a blank line, the body.
SigV4Request parse_request(const std::string& text) {
  SigV4Request request;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  request.method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);
  while (std::getline(in, line) && !line.empty()) {
    const std::size_t colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::ostringstream body;
  body << in.rdbuf();
  request.body = body.str();
  return request;
}

// The signed request as the suite writes it: the request's headers, then the added ones
// (Authorization first, then X-Amz-Date and the token), a blank line, the body.
std::string signed_request_text(const SigV4Request& request, const SigV4Signature& signature) {
  std::string target = request.path + (request.query.empty() ? "" : "?" + request.query);
  std::string out = request.method + " " + target + " HTTP/1.1\n";
  for (const auto& [name, value] : request.headers) out += name + ":" + value + "\n";
  for (const auto& [name, value] : signature.headers_to_add) {
    if (name == "x-amz-content-sha256") out += name + ":" + value + "\n";
  }
  out += "Authorization:" + signature.authorization + "\n";
  for (const auto& [name, value] : signature.headers_to_add) {
    if (name == "X-Amz-Date" || name == "X-Amz-Security-Token") out += name + ":" + value + "\n";
  }
  return out + "\n" + request.body;
}

struct Case {
  SigV4Request request;
  AwsCredentials credentials;
  SigV4Params params;
};

Case load_case(const fs::path& dir) {
  const auto context = nlohmann::json::parse(read_text(dir / "context.json"));
  Case c;
  c.request = parse_request(read_text(dir / "request.txt"));
  c.credentials.access_key_id = context["credentials"]["access_key_id"];
  c.credentials.secret_access_key = context["credentials"]["secret_access_key"];
  c.credentials.session_token = context["credentials"].value("token", "");
  c.params.region = context["region"];
  c.params.service = context["service"];
  std::tm tm{};
  std::istringstream ts(context["timestamp"].get<std::string>());
  ts >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  c.params.time = std::chrono::system_clock::from_time_t(timegm(&tm));
  c.params.normalize_path = context.value("normalize", true);
  c.params.add_content_sha256_header = context.value("sign_body", false);
  return c;
}

class SigV4Suite : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4Suite, MatchesTheOfficialVectorByteForByte) {
  const fs::path dir = suite_dir() / GetParam();
  ASSERT_TRUE(fs::exists(dir / "request.txt")) << dir;
  const Case c = load_case(dir);
  const SigV4Signature signature = sigv4_sign(c.request, c.credentials, c.params);
  EXPECT_EQ(signature.canonical_request, read_text(dir / "header-canonical-request.txt"));
  EXPECT_EQ(signature.string_to_sign, read_text(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(signed_request_text(c.request, signature), read_text(dir / "header-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(Official, SigV4Suite,
                         ::testing::Values("get-vanilla", "get-vanilla-query-order-key-case", "get-header-value-trim",
                                           "get-vanilla-with-session-token", "post-vanilla",
                                           "post-x-www-form-urlencoded", "get-utf8", "get-slash-dot-slash-normalized",
                                           "get-relative-relative-normalized", "get-relative-unnormalized",
                                           "get-vanilla-empty-query-key", "get-vanilla-query-unreserved",
                                           "get-header-key-duplicate"),
                         [](const auto& test_param) {
                           std::string name = test_param.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

// Known answers quoted by AWS's documentation of the suite (independent of the files).
TEST(SigV4, GetVanillaCanonicalRequestHashIsTheKnownOne) {
  const Case c = load_case(suite_dir() / "get-vanilla");
  const SigV4Signature signature = sigv4_sign(c.request, c.credentials, c.params);
  EXPECT_EQ(sha256_hex(signature.canonical_request), "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(signature.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, AChangedSecretChangesTheSignature) {
  Case c = load_case(suite_dir() / "get-vanilla");
  const std::string before = sigv4_sign(c.request, c.credentials, c.params).signature;
  c.credentials.secret_access_key += "x";
  EXPECT_NE(sigv4_sign(c.request, c.credentials, c.params).signature, before);
}

TEST(SigV4, AmzDateIsUtc) {
  EXPECT_EQ(amz_date(std::chrono::system_clock::from_time_t(1440938160)), "20150830T123600Z");
}

}  // namespace
}  // namespace agentrt
