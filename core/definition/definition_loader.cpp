// Public entry points: file -> SourceDocument -> fields -> validation -> canonical + hash.

#include "core/definition/definition_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/definition/canonical_definition.hpp"
#include "core/definition/definition_normalise.hpp"
#include "core/definition/definition_parser.hpp"
#include "core/definition/definition_validation.hpp"
#include "core/definition/source_document.hpp"

namespace agentrt {
namespace {

constexpr std::uintmax_t kMaxFileBytes = 4 * 1024 * 1024;  // a definition is a few KB

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

void seal(AgentDefinition& def, nlohmann::json canonical) {
  def.canonical = std::move(canonical);
  def.content_hash = sha256_hex(def.canonical.dump());
}

Result<std::string> read_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return Error{Errc::invalid, "cannot read " + name + ": " +
                                    (ec ? ec.message() : std::make_error_code(std::errc::no_such_file_or_directory).message())};
  }
  if (std::filesystem::is_directory(status)) {
    return Error{Errc::invalid, "cannot read " + name + ": " + std::make_error_code(std::errc::is_a_directory).message()};
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    return Error{Errc::invalid, "cannot read " + name + ": larger than " + std::to_string(kMaxFileBytes) + " bytes"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{Errc::invalid, "cannot read " + name + ": " + std::error_code(errno, std::generic_category()).message()};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Error{Errc::invalid, "cannot read " + name + ": " + std::error_code(errno, std::generic_category()).message()};
  }
  return text.str();
}

}  // namespace

Result<AgentDefinition> load_definition(const std::filesystem::path& path) {
  const std::string ext = lower_extension(path);
  if (ext != ".yaml" && ext != ".yml" && ext != ".json") {
    return Error{Errc::invalid, path.string() + ": unsupported file type \"" + ext + "\" (expected .yaml, .yml or .json)"};
  }
  auto text = read_file(path);
  if (!text) return text.error();
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  return parse_definition(*text, path.string(), ec ? path.parent_path() : absolute.parent_path());
}

Result<AgentDefinition> parse_definition(std::string_view text, std::string_view source_name,
                                         const std::filesystem::path& base_dir) {
  const bool is_json = lower_extension(std::filesystem::path(source_name)) == ".json";
  auto doc = is_json ? read_json_document(text, source_name) : read_yaml_document(text, source_name);
  if (!doc) return doc.error();
  std::error_code ec;
  auto base = std::filesystem::absolute(base_dir, ec);
  if (ec) return Error{Errc::invalid, std::string(source_name) + ": cannot resolve folder " + base_dir.string() + ": " + ec.message()};
  base = base.lexically_normal();

  Diagnostics diag(std::string(source_name), &*doc);
  AgentDefinition def = parse_definition_fields(doc->root, base, diag);
  normalise_definition(def);
  if (diag.empty()) validate_definition(def, diag, FileChecks::on);
  if (!diag.empty()) return diag.to_error();
  def.source_path = std::string(source_name);
  seal(def, to_canonical_json(def));
  return def;
}

Result<AgentDefinition> definition_from_canonical(const nlohmann::json& canonical) {
  Diagnostics diag("canonical definition", nullptr);
  AgentDefinition def = read_canonical_fields(canonical, diag);
  normalise_definition(def);
  // Referenced files are not checked: the session was started with them; the provider or tool
  // reports a missing one when it is used.
  if (diag.empty()) validate_definition(def, diag, FileChecks::off);
  if (!diag.empty()) return diag.to_error();
  auto rebuilt = to_canonical_json(def);
  if (rebuilt != canonical) {
    const auto patch = nlohmann::json::diff(canonical, rebuilt);
    std::string where;
    if (!patch.empty() && patch[0].contains("path") && patch[0]["path"].is_string()) {
      where = patch[0]["path"].get_ref<const std::string&>();
    }
    return Error{Errc::invalid, "canonical definition " + def.name + ": not in canonical form at \"" + where + "\""};
  }
  seal(def, std::move(rebuilt));
  return def;
}

}  // namespace agentrt
