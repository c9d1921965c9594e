#pragma once
// Ranges of numeric fields, shared by the file parser and the canonical reader so both refuse
// the same values. The expectation text completes "expected ..." in messages.

#include <climits>
#include <string_view>

namespace agentrt {

struct IntRange {
  long long min;
  long long max;
  std::string_view expectation;
};

struct NumberRange {
  double min;
  double max;
  std::string_view expectation;
};

inline constexpr IntRange kVersionRange{1, INT_MAX, "an integer >= 1"};
inline constexpr IntRange kAttemptsRange{1, 100, "an integer from 1 to 100"};
inline constexpr IntRange kRetriesRange{0, 99, "an integer from 0 to 99"};
inline constexpr IntRange kMaxTokensRange{1, 10'000'000, "an integer > 0"};
inline constexpr IntRange kMaxStepsRange{1, 10'000, "an integer from 1 to 10000"};
inline constexpr IntRange kMaxInvalidRepliesRange{0, 1'000, "an integer from 0 to 1000"};
inline constexpr IntRange kTokensPerTurnRange{1, 1'000'000'000'000LL, "an integer > 0"};
inline constexpr IntRange kCheckpointEveryRange{1, 1'000'000, "an integer from 1 to 1000000"};
inline constexpr IntRange kDurationMsRange{1, 366LL * 24 * 3'600'000, "a number of milliseconds > 0"};

inline constexpr NumberRange kTemperatureRange{0.0, 2.0, "a number from 0 to 2"};
inline constexpr NumberRange kMultiplierRange{1.0, 10.0, "a number from 1 to 10"};

inline constexpr std::string_view kDefaultOpenAiBaseUrl = "https://api.openai.com/v1";
inline constexpr int kCanonicalFormat = 1;  // bump when the canonical JSON layout changes

}  // namespace agentrt
