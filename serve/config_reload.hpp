#pragma once
// What `agentrt serve` changes without a restart when its configuration changes
// (docs/serve.md, "Reloading the configuration"): the bots' definitions, the org quotas, the
// Kafka routes of the topics already subscribed, and the log level. A new configuration is read as at start (file, then AGENTRT_* variables,
// then flags) and checked as at start; any other key that differs from the running
// configuration (listen address, store, orgs, ...) refuses the whole reload, so what runs is
// always one configuration that was checked as a whole.

#include <string>
#include <vector>

#include "core/model/error.hpp"
#include "serve/bot_catalog.hpp"
#include "serve/serve_config.hpp"

namespace agentrt::serve {

// Parses every bot's definition file; an error names the bot and the file's line.
Result<BotDefinitions> load_bot_definitions(const ServeConfig& config);

// The keys (as the config file names them) that differ between the two configurations and
// that only a restart can change. Empty: the difference, if any, can be reloaded.
std::vector<std::string> restart_only_changes(const ServeConfig& running, const ServeConfig& next);

// What a reload would change, for the log: "bot helpdesk: definition 1a2b3c4d5e6f -> 9f8e7d6c5b4a;
// org_quotas; log_level debug". Empty when nothing reloadable changed.
std::string describe_reload(const ServeConfig& running, const BotDefinitions& running_bots, const ServeConfig& next,
                            const BotDefinitions& next_bots);

}  // namespace agentrt::serve
