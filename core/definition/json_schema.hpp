#pragma once
// A small JSON Schema validator for tool parameters: the subset models and tool authors use
// (type incl. unions, properties, required, additionalProperties, items, enum, const,
// minimum/maximum, minLength/maxLength, minItems/maxItems, pattern). Unknown keywords are
// ignored, as the spec says.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace agentrt {

// nullopt when `value` satisfies `schema`; otherwise the first violation with its JSON
// pointer, e.g. "/q: expected string, got number".
std::optional<std::string> validate_against_schema(const nlohmann::json& schema, const nlohmann::json& value);

// nullopt when `schema` itself is a usable schema for this validator (an object, known type
// names, well-formed required/properties); otherwise what is wrong and where.
std::optional<std::string> check_schema(const nlohmann::json& schema);

}  // namespace agentrt
