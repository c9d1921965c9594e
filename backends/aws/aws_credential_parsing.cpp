#include "backends/aws/aws_credential_parsing.hpp"

#include <cctype>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

namespace agentrt {

std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text) {
  if (text.size() < 19) return std::nullopt;
  std::tm tm{};
  std::istringstream in{std::string(text.substr(0, 19))};
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front())) != 0) rest.remove_prefix(1);
  }
  if (rest != "Z" && rest != "+00:00" && rest != "z") return std::nullopt;  // AWS always answers in UTC
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Result<AwsCredentials> parse_json_credentials(std::string_view body, std::string_view source) {
  const auto bad = [&](std::string_view why) {
    return Error{Errc::retryable, std::string(source) + ": credentials answer " + std::string(why)};
  };
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad("is not a JSON object");
  if (doc.contains("Code") && doc["Code"].is_string() && doc["Code"] != "Success") {
    return bad("has Code " + doc["Code"].get<std::string>().substr(0, 100));
  }
  AwsCredentials credentials;
  for (const auto& [key, target] : {std::pair{"AccessKeyId", &credentials.access_key_id},
                                    std::pair{"SecretAccessKey", &credentials.secret_access_key},
                                    std::pair{"Token", &credentials.session_token}}) {
    if (!doc.contains(key) || !doc[key].is_string() || doc[key].get_ref<const std::string&>().empty()) {
      return bad(std::string("lacks ") + key);
    }
    *target = doc[key].get<std::string>();
  }
  if (doc.contains("Expiration")) {
    const auto expiration = doc["Expiration"].is_string() ? parse_iso8601_utc(doc["Expiration"].get<std::string>())
                                                          : std::nullopt;
    if (!expiration) return bad("has an unreadable Expiration");
    credentials.expiration = expiration;
  }
  credentials.source = std::string(source);
  return credentials;
}

std::optional<std::string> xml_element(std::string_view xml, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const std::size_t begin = xml.find(open);
  if (begin == std::string_view::npos) return std::nullopt;
  const std::size_t start = begin + open.size();
  const std::size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(xml.substr(start, end - start));
}

Result<std::string> read_token_file(const std::string& path, std::string_view what, std::size_t bytes_max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errc::invalid, std::string(what) + " " + path + ": cannot be read"};
  std::string text(bytes_max + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > bytes_max) {
    return Error{Errc::invalid, std::string(what) + " " + path + " is larger than " + std::to_string(bytes_max) + " bytes"};
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.pop_back();
  if (text.empty()) return Error{Errc::invalid, std::string(what) + " " + path + " is empty"};
  return text;
}

}  // namespace agentrt
