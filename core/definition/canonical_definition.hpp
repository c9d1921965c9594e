#pragma once
// The canonical JSON of a definition: every field present, every default filled in, durations
// as integer milliseconds ("timeout_ms"), paths absolute, keys sorted (nlohmann's std::map).
// content_hash = sha256 hex of canonical.dump(). Layout documented in docs/definitions.md.
// Internal to core/definition; the public entry points are in definition_loader.hpp.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/definition/diagnostics.hpp"
#include "core/model/definition.hpp"

namespace agentrt {

nlohmann::json to_canonical_json(const AgentDefinition& def);

// Reads the canonical layout back (unknown keys and wrong types are reported to `diag`).
AgentDefinition read_canonical_fields(const nlohmann::json& canonical, Diagnostics& diag);

// Lowercase hex SHA-256 (OpenSSL EVP).
std::string sha256_hex(std::string_view data);

}  // namespace agentrt
