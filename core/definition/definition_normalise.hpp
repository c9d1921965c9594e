#pragma once
// Normalisation applied to every converted definition (from a file or from canonical JSON),
// so that spellings with the same meaning give the same canonical JSON and hash:
// base_url without trailing '/', upper-case HTTP method, paths lexically normal without a
// trailing separator. A canonical document that is changed by this is refused as tampered.
// Internal to core/definition.

#include <string>

#include "core/model/definition.hpp"

namespace agentrt {

void normalise_definition(AgentDefinition& def);

// "/a/b/../c/" -> "/a/c"; "/" stays "/".
std::string normal_path(const std::string& path);

}  // namespace agentrt
