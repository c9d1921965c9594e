#include "backends/aws/sigv4_signer.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <utility>
#include <vector>

#include "backends/aws/aws_crypto.hpp"

namespace agentrt {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
}

// RFC 3986 encoding as SigV4 wants it: unreserved kept, every other byte %XX (uppercase).
std::string uri_encode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Query parameters may arrive encoded or not: decode, then encode once, so both sign alike.
std::string uri_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// Removes "." and ".." segments and empty segments; keeps a trailing slash.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto segment : segments) {
    out += '/';
    out += segment;
  }
  const bool trailing = !path.empty() && (path.back() == '/' || path.ends_with("/.") || path.ends_with("/.."));
  if (out.empty() || trailing) out += '/';
  return out;
}

std::string canonical_uri(std::string_view path, bool normalize) {
  const std::string clean = normalize ? normalize_path(path) : std::string(path.empty() ? "/" : path);
  return uri_encode(clean, true);
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  while (start < query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string_view param = query.substr(start, end - start);
    if (!param.empty()) {
      const std::size_t eq = param.find('=');
      const std::string_view key = param.substr(0, eq);
      const std::string_view value = eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1);
      params.emplace_back(uri_encode(uri_decode(key), false), uri_encode(uri_decode(value), false));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key + "=" + value;
  }
  return out;
}

// Trims and collapses runs of spaces, as the specification's Trimall.
std::string trim_all(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool unsigned_header(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "user-agent" || lower_name == "x-amzn-trace-id" ||
         lower_name == "connection" || lower_name == "expect" || lower_name == "transfer-encoding";
}

struct CanonicalHeaders {
  std::string text;    // "name:value\n" per header
  std::string signed_names;  // "host;x-amz-date"
};

CanonicalHeaders canonical_headers(const HttpHeaders& headers) {
  std::map<std::string, std::string> merged;  // sorted by lowercase name; values joined by ','
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (unsigned_header(lower)) continue;
    auto [it, inserted] = merged.try_emplace(lower, trim_all(value));
    if (!inserted) it->second += "," + trim_all(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.text += name + ":" + value + "\n";
    if (!out.signed_names.empty()) out.signed_names += ';';
    out.signed_names += name;
  }
  return out;
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return {buffer, n};
}

SigV4Signature sigv4_sign(const SigV4Request& request, const AwsCredentials& credentials, const SigV4Params& params) {
  SigV4Signature out;
  const std::string date_time = amz_date(params.time);
  const std::string date = date_time.substr(0, 8);
  const std::string payload_hash = sha256_hex(request.body);

  out.headers_to_add.emplace_back("X-Amz-Date", date_time);
  if (!credentials.session_token.empty()) out.headers_to_add.emplace_back("X-Amz-Security-Token", credentials.session_token);
  if (params.add_content_sha256_header) out.headers_to_add.emplace_back("x-amz-content-sha256", payload_hash);

  HttpHeaders all = request.headers;
  all.insert(all.end(), out.headers_to_add.begin(), out.headers_to_add.end());
  const CanonicalHeaders headers = canonical_headers(all);

  out.canonical_request = request.method + "\n" + canonical_uri(request.path, params.normalize_path) + "\n" +
                          canonical_query(request.query) + "\n" + headers.text + "\n" + headers.signed_names + "\n" +
                          payload_hash;
  const std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  out.string_to_sign = std::string(kAlgorithm) + "\n" + date_time + "\n" + scope + "\n" + sha256_hex(out.canonical_request);

  const std::string date_key = hmac_sha256_bytes("AWS4" + credentials.secret_access_key, date);
  const std::string region_key = hmac_sha256_bytes(date_key, params.region);
  const std::string service_key = hmac_sha256_bytes(region_key, params.service);
  const std::string signing_key = hmac_sha256_bytes(service_key, "aws4_request");
  out.signature = hex_lower(hmac_sha256_bytes(signing_key, out.string_to_sign));

  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" + scope +
                      ", SignedHeaders=" + headers.signed_names + ", Signature=" + out.signature;
  out.headers_to_add.emplace_back("Authorization", out.authorization);
  return out;
}

}  // namespace agentrt
