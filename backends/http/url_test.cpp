#include "backends/http/url.hpp"

#include <gtest/gtest.h>

namespace agentrt {
namespace {

TEST(Url, EncodeKeepsUnreservedAndEscapesTheRest) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("a b/c?d=e&f#g"), "a%20b%2Fc%3Fd%3De%26f%23g");
  EXPECT_EQ(url_encode("é"), "%C3%A9");
  EXPECT_EQ(url_encode(""), "");
}

TEST(Url, RedactDropsCredentialsQueryAndFragment) {
  EXPECT_EQ(redact_url("https://user:secret@api.example.com:8443/v1/x?key=abc#frag"),
            "https://api.example.com:8443/v1/x");
  EXPECT_EQ(redact_url("http://127.0.0.1:9/chat/completions"), "http://127.0.0.1:9/chat/completions");
  EXPECT_EQ(redact_url("http://h/p?token=a@b"), "http://h/p");
  EXPECT_EQ(redact_url("http://h?x=1"), "http://h");
  EXPECT_EQ(redact_url("not a url?secret"), "not a url");
}

}  // namespace
}  // namespace agentrt
