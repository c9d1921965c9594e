#pragma once
// A plain text table: columns padded to their widest cell (counted in characters, not bytes),
// two spaces apart, no trailing spaces. For terminals; scripts use --json.

#include <string>
#include <vector>

namespace agentrt {

std::string format_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

}  // namespace agentrt
