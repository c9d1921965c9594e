#include "serve/tracing_config.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace agentrt::serve {
namespace {

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || hex_digit(text[i + 1]) < 0 || hex_digit(text[i + 2]) < 0) return std::nullopt;
    out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
    i += 2;
  }
  return out;
}

bool header_token(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

}  // namespace

void read_tracing(const ObjectReader& top, TracingConfig& tracing) {
  const auto* mapping = top.mapping("tracing", Need::optional, "a mapping with endpoint, sampling_ratio, headers_env");
  if (mapping == nullptr) return;
  ObjectReader r(*mapping, "tracing", top.diag(),
                 {"endpoint", "sampling_ratio", "headers_env", "service_name", "max_batch", "max_queue", "export_interval"});
  if (auto endpoint = r.string("endpoint", Need::optional, "the OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces")) {
    tracing.endpoint = *endpoint;
  }
  if (auto ratio = r.number("sampling_ratio", Need::optional, 0.0, 1.0, "a number from 0 to 1")) {
    tracing.sampling_ratio = *ratio;
  }
  if (auto name = r.string("headers_env", Need::optional, "the name of a variable holding k=v,k2=v2")) {
    tracing.headers_env = *name;
  }
  if (auto name = r.string("service_name", Need::optional, "a service name")) tracing.service_name = *name;
  if (auto n = r.integer("max_batch", Need::optional, 1, kTracingMaxBatchLimit, "spans per export request, 1 to 65536")) {
    tracing.max_batch = *n;
  }
  if (auto n = r.integer("max_queue", Need::optional, 1, kTracingMaxQueueLimit, "spans waiting, 1 to 1048576")) {
    tracing.max_queue = *n;
  }
  if (auto interval = r.duration("export_interval")) tracing.export_interval = *interval;
}

Result<double> parse_sampling_ratio(const std::string& text, const std::string& where) {
  double value = -1;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || !std::isfinite(value) || value < 0.0 || value > 1.0) {
    return Error{Errc::invalid, where + ": expected a number from 0 to 1, got \"" + text + "\""};
  }
  return value;
}

namespace {

// When the variable `name` is set (and not empty), `target` becomes its value: a whole number
// from `min` to `max`, or an error that names the variable and the range.
Result<void> apply_count(const EnvLookupFn& env, const std::string& name, long long min, long long max, long long& target) {
  const auto text = env(name);
  if (!text || text->empty()) return ok_result();
  long long value = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc{} || ptr != end || value < min || value > max) {
    return Error{Errc::invalid, name + ": expected a whole number from " + std::to_string(min) + " to " +
                                    std::to_string(max) + ", got \"" + *text + "\""};
  }
  target = value;
  return ok_result();
}

}  // namespace

Result<void> apply_tracing_env(const EnvLookupFn& env, TracingConfig& tracing) {
  if (auto v = env("OTEL_EXPORTER_OTLP_ENDPOINT"); v && !v->empty()) {
    auto base = *v;
    while (!base.empty() && base.back() == '/') base.pop_back();
    tracing.endpoint = base + "/v1/traces";
  }
  if (auto v = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v && !v->empty()) tracing.endpoint = *v;
  if (auto v = env("AGENTRT_TRACING_ENDPOINT")) tracing.endpoint = *v;
  if (auto v = env("OTEL_SERVICE_NAME"); v && !v->empty()) tracing.service_name = *v;
  if (auto v = env("OTEL_TRACES_SAMPLER_ARG"); v && !v->empty()) {
    auto ratio = parse_sampling_ratio(*v, "OTEL_TRACES_SAMPLER_ARG");
    if (!ratio) return ratio.error();
    tracing.sampling_ratio = *ratio;
  }
  if (auto v = env("AGENTRT_TRACING_SAMPLING_RATIO")) {
    auto ratio = parse_sampling_ratio(*v, "AGENTRT_TRACING_SAMPLING_RATIO");
    if (!ratio) return ratio.error();
    tracing.sampling_ratio = *ratio;
  }
  if (auto set = apply_count(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1, kTracingMaxBatchLimit, tracing.max_batch); !set) {
    return set;
  }
  if (auto set = apply_count(env, "OTEL_BSP_MAX_QUEUE_SIZE", 1, kTracingMaxQueueLimit, tracing.max_queue); !set) return set;
  long long delay_ms = tracing.export_interval.count();  // milliseconds, as OpenTelemetry says
  if (auto set = apply_count(env, "OTEL_BSP_SCHEDULE_DELAY", 1, 3'600'000, delay_ms); !set) return set;
  tracing.export_interval = std::chrono::milliseconds(delay_ms);
  if (auto v = env("OTEL_SDK_DISABLED"); v && (*v == "true" || *v == "TRUE" || *v == "1")) tracing.endpoint.clear();
  return ok_result();
}

Result<void> check_tracing(const TracingConfig& tracing, const std::string& where) {
  if (tracing.endpoint.empty()) return ok_result();
  if (tracing.endpoint.rfind("http://", 0) != 0 && tracing.endpoint.rfind("https://", 0) != 0) {
    return Error{Errc::invalid, where + ": tracing.endpoint must be an http:// or https:// URL, got \"" +
                                    tracing.endpoint + "\""};
  }
  if (tracing.max_batch > tracing.max_queue) {
    return Error{Errc::invalid, where + ": tracing.max_batch (" + std::to_string(tracing.max_batch) +
                                    ") must not exceed tracing.max_queue (" + std::to_string(tracing.max_queue) + ")"};
  }
  if (tracing.export_interval <= std::chrono::milliseconds::zero()) {
    return Error{Errc::invalid, where + ": tracing.export_interval must be above zero"};
  }
  return ok_result();
}

Result<std::vector<std::pair<std::string, std::string>>> tracing_headers(const TracingConfig& tracing,
                                                                         const EnvLookupFn& env) {
  std::string source;
  std::optional<std::string> text;
  for (const auto& name : {tracing.headers_env, std::string("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
                           std::string("OTEL_EXPORTER_OTLP_HEADERS")}) {
    if (name.empty()) continue;
    text = env(name);
    if (text) {
      source = name;
      break;
    }
    if (name == tracing.headers_env) {
      return Error{Errc::invalid, "tracing.headers_env: the variable " + name + " is not set"};
    }
  }
  std::vector<std::pair<std::string, std::string>> headers;
  if (!text) return headers;
  std::size_t start = 0;
  int index = 0;
  while (start <= text->size()) {
    const auto comma = text->find(',', start);
    const auto item = std::string_view(*text).substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    ++index;
    if (!trim(item).empty()) {
      const auto eq = item.find('=');
      const auto name = eq == std::string_view::npos ? std::string{} : trim(item.substr(0, eq));
      auto value = eq == std::string_view::npos ? std::nullopt : percent_decode(trim(item.substr(eq + 1)));
      if (!header_token(name) || !value || value->find_first_of("\r\n") != std::string::npos) {
        // The value may be a secret: say which entry, never what it holds.
        return Error{Errc::invalid, source + ": entry " + std::to_string(index) +
                                        " is not a header (expected name=value[,name=value...])"};
      }
      headers.emplace_back(name, std::move(*value));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return headers;
}

}  // namespace agentrt::serve
