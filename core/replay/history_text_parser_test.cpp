#include "core/replay/history_text_parser.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace agentrt {
namespace {

using json = nlohmann::json;

// Equal values of the same types (nlohmann's == lets 1 equal 1u, and 0.0 equal -0.0).
bool same(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json::value_t::object: {
      if (a.size() != b.size()) return false;
      for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
        if (i.key() != j.key() || !same(*i, *j)) return false;
      }
      return true;
    }
    case json::value_t::array: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i])) return false;
      }
      return true;
    }
    case json::value_t::number_float:
      return std::bit_cast<std::uint64_t>(a.get<double>()) == std::bit_cast<std::uint64_t>(b.get<double>());
    default:
      return a == b;
  }
}

std::string event_line(const std::string& data_text) {
  return R"({"seq": 1, "type": "MessageReceived", "time_ms": 5, "data": )" + data_text + "}";
}

// The data of a one-event line, or the error.
Result<json> data_of(const std::string& data_text) {
  HistoryParts parts;
  if (auto ok = parse_history_text(event_line(data_text), HistoryText::event_line, {"h.jsonl", 2}, parts); !ok) {
    return ok.error();
  }
  if (parts.bad_event) return *parts.bad_event;
  return parts.events.at(0).data;
}

TEST(HistoryTextParser, KeepsTheValuesAndTypesNlohmannParses) {
  const std::vector<std::string> values = {
      "0", "-0", "7", "-7", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
      "-9223372036854775809", "123456789012345678901234567890", "0.1", "-0.0", "1E2", "1e-400",
      "2.2250738585072011e-308", "0.30000000000000004441", "9007199254740993", "9007199254740993.0", "true",
      "false", "null", R"("")", R"("a\"b\\c\/d\b\f\n\r\t")", R"("\u00e9\u20ac\ud83d\ude00 é€😀")", R"("\u0000")",
      "[]", "{}", R"([1, [2, [3, {}]], {"k": []}])", R"({"b": 1, "a": 2, "c": {"z": 0, "y": [true]}})",
      R"({"a": 1, "a": 2})", R"({"a": {"x": 1}, "a": "last"})",
      "\"" + std::string(5000, 'x') + "\\n" + std::string(5000, 'y') + "\"",
      "{\"" + std::string(6000, 'k') + "\\t\": \"" + std::string(20, 'v') + "\"}"};
  for (const auto& value : values) {
    const std::string text = R"({"v": )" + value + "}";
    auto parsed = data_of(text);
    ASSERT_TRUE(parsed) << value << ": " << parsed.error().message;
    const json expected = json::parse(text);
    EXPECT_TRUE(same(*parsed, expected)) << value << ": got " << parsed->dump() << ", nlohmann " << expected.dump();
  }
}

TEST(HistoryTextParser, RefusesWhatNlohmannRefuses) {
  const std::vector<std::string> values = {
      "01", "1.", ".5", "+1", "-", "1e", "1e400", "-1e400", "1e99999999999", "[1,]", R"({"a" 1})", R"({"a": 1,})",
      R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")", R"("\x")", "\"a\tb\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"",
      "\"\xff\"", "tru", "nul", "NaN", "Infinity", "/* c */ 1", "'a'", "[1 2]", "{1: 2}", "{} {}"};
  for (const auto& value : values) {
    const std::string text = R"({"v": )" + value + "}";
    ASSERT_FALSE(json::accept(text)) << "the table is wrong: nlohmann accepts " << value;
    auto parsed = data_of(text);
    ASSERT_FALSE(parsed) << value << " was accepted as " << parsed->dump();
    EXPECT_EQ(parsed.error().code, Errc::invalid);
    EXPECT_TRUE(parsed.error().message.starts_with("h.jsonl:2: not valid JSON: ")) << parsed.error().message;
  }
  HistoryParts parts;
  EXPECT_FALSE(parse_history_text("", HistoryText::header_line, {"h.jsonl", 1}, parts));
  EXPECT_FALSE(parse_history_text(event_line("{}") + " x", HistoryText::event_line, {"h.jsonl", 1}, parts));
}

// Random values, written by nlohmann in every way it writes, read back the same.
json random_value(std::mt19937& rng, int depth) {
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const auto random_string = [&] {
    static constexpr std::string_view kPieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "é", "€",
                                                   "😀", "\x7f", "{", "}", "[", "]", ":", ",", "\u2028"};
    std::string s;
    for (int i = pick(12); i > 0; --i) s += kPieces[pick(static_cast<int>(std::size(kPieces)))];
    return s;
  };
  switch (depth > 3 ? pick(6) : pick(8)) {
    case 0: return nullptr;
    case 1: return pick(2) == 0;
    case 2: return static_cast<std::int64_t>(rng()) - static_cast<std::int64_t>(rng()) * 4096;
    case 3: return static_cast<std::uint64_t>(rng()) << pick(33);
    case 4: return std::ldexp(static_cast<double>(rng()) - 2e9, pick(200) - 100);
    case 5: return random_string();
    case 6: {
      json array = json::array();
      for (int i = pick(5); i > 0; --i) array.push_back(random_value(rng, depth + 1));
      return array;
    }
    default: {
      json object = json::object();
      for (int i = pick(5); i > 0; --i) object[random_string()] = random_value(rng, depth + 1);
      return object;
    }
  }
}

TEST(HistoryTextParser, ReadsRandomValuesAsNlohmannDoes) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 2000; ++i) {
    const json data{{"value", random_value(rng, 0)}};
    const bool ascii = i % 2 == 0;
    const std::string text = data.dump(i % 3 == 0 ? 2 : -1, ' ', ascii);
    auto parsed = data_of(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message;
    ASSERT_TRUE(same(*parsed, json::parse(text))) << text << " read as " << parsed->dump();
  }
}

TEST(HistoryTextParser, RefusesNestingDeeperThanItsLimit) {
  const auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  // The event line and its data object are two levels: data holds the rest.
  auto deep = data_of(R"({"v": )" + nested(kMaxJsonDepth - 3) + "}");
  ASSERT_TRUE(deep) << deep.error().message;
  auto too_deep = data_of(R"({"v": )" + nested(kMaxJsonDepth) + "}");
  ASSERT_FALSE(too_deep);
  EXPECT_TRUE(too_deep.error().message.starts_with("h.jsonl:2: not valid JSON: ")) << too_deep.error().message;
}

TEST(HistoryTextParser, SaysWhereTheTextBreaks) {
  HistoryParts parts;
  const std::string broken = "{\n  \"format\": 1,\n  \"events\": [1 2]\n}";
  auto document = parse_history_text(broken, HistoryText::document, {"h.json"}, parts);
  ASSERT_FALSE(document);
  EXPECT_TRUE(document.error().message.starts_with("h.json: not valid JSON: ")) << document.error().message;
  EXPECT_TRUE(document.error().message.ends_with(" at line 3, column 16")) << document.error().message;
  auto line = parse_history_text(R"({"seq": 1,, })", HistoryText::event_line, {"h.jsonl", 9}, parts);
  ASSERT_FALSE(line);
  EXPECT_TRUE(line.error().message.starts_with("h.jsonl:9: not valid JSON: ")) << line.error().message;
  EXPECT_TRUE(line.error().message.ends_with(" at column 11")) << line.error().message;
  auto cut = parse_history_text("{\"format\": ", HistoryText::document, {"h.json"}, parts);
  ASSERT_FALSE(cut);
  EXPECT_TRUE(cut.error().message.ends_with(" at line 1, column 12")) << cut.error().message;
}

TEST(HistoryTextParser, SkipsAByteOrderMarkAsNlohmannDoes) {
  HistoryParts parts;
  const std::string text = "\xEF\xBB\xBF" + event_line(R"({"text": "hi"})");
  ASSERT_TRUE(json::accept(text));
  auto ok = parse_history_text(text, HistoryText::event_line, {"h.jsonl", 1}, parts);
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(parts.events.size(), 1U);
  EXPECT_EQ(parts.events[0].data, json({{"text", "hi"}}));
}

TEST(HistoryTextParser, ReadsADocumentInAnyKeyOrder) {
  HistoryParts parts;
  const std::string text = R"({"events": [{"type": "SessionStarted", "data": {"a": 1}, "time_ms": 3, "seq": 1,
    "extra": [1]}],
    "archived_branches": [{"branch": 1, "events": [{"seq": "not read"}]}],
    "session": {"id": "s"}, "definition": {"name": "d"}, "format": "agentrt.history/1", "unknown": {"x": [1]}})";
  auto ok = parse_history_text(text, HistoryText::document, {"h.json"}, parts);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(parts.bad_event);
  EXPECT_TRUE(parts.has_events_list);
  EXPECT_EQ(parts.header,
            json({{"format", "agentrt.history/1"}, {"session", {{"id", "s"}}}, {"definition", {{"name", "d"}}}}));
  ASSERT_EQ(parts.events.size(), 1U);
  EXPECT_EQ(parts.events[0].seq.value, 1);
  EXPECT_EQ(parts.events[0].type, EventType::SessionStarted);
  EXPECT_EQ(parts.events[0].time_ms, 3);
  EXPECT_EQ(parts.events[0].data, json({{"a", 1}}));
}

TEST(HistoryTextParser, TheLastOfARepeatedKeyCounts) {
  HistoryParts parts;
  const std::string text = R"({"events": [{"seq": 9}],
    "events": [{"seq": "x", "seq": 1, "type": "Bogus", "type": "Marker", "time_ms": 1,
                "data": {"patch": "p"}, "data": {"patch": "q"}}],
    "format": "a", "format": "agentrt.history/1"})";
  ASSERT_TRUE(parse_history_text(text, HistoryText::document, {"h.json"}, parts));
  EXPECT_FALSE(parts.bad_event) << parts.bad_event->message;
  EXPECT_EQ(parts.header["format"], "agentrt.history/1");
  ASSERT_EQ(parts.events.size(), 1U);
  EXPECT_EQ(parts.events[0].type, EventType::Marker);
  EXPECT_EQ(parts.events[0].data, json({{"patch", "q"}}));

  HistoryParts replaced;
  ASSERT_TRUE(
      parse_history_text(R"({"events": [{"seq": 1}], "events": 5})", HistoryText::document, {"h.json"}, replaced));
  EXPECT_FALSE(replaced.has_events_list);
}

TEST(HistoryTextParser, AnEventWithoutDataHasAnEmptyObject) {
  HistoryParts parts;
  ASSERT_TRUE(parse_history_text(R"({"seq": 1, "type": "SessionCompleted", "time_ms": 2})", HistoryText::event_line,
                                 {"h.jsonl", 3}, parts));
  ASSERT_EQ(parts.events.size(), 1U);
  EXPECT_EQ(parts.events[0].data, json::object());
}

TEST(HistoryTextParser, NamesTheFirstBadEventAndReadsOn) {
  HistoryParts parts;
  const std::string text = R"({"events": [{"seq": 1, "type": "SessionStarted", "time_ms": 0}, [1, {"seq": 2}],
    {"seq": 3, "type": "Nope", "time_ms": 0}], "format": "agentrt.history/1"})";
  ASSERT_TRUE(parse_history_text(text, HistoryText::document, {"h.json"}, parts));
  ASSERT_TRUE(parts.bad_event);
  EXPECT_EQ(parts.bad_event->message,
            "h.json: events[1]: expected an event object {seq, type, time_ms, data}, got array");
  EXPECT_EQ(parts.header["format"], "agentrt.history/1") << "the header after the events is still read";
  EXPECT_EQ(parts.events.size(), 1U);

  HistoryParts line;
  ASSERT_TRUE(parse_history_text(R"("text")", HistoryText::event_line, {"h.jsonl", 4}, line));
  ASSERT_TRUE(line.bad_event);
  EXPECT_EQ(line.bad_event->message, "h.jsonl:4: expected an event object {seq, type, time_ms, data}, got string");
}

TEST(HistoryTextParser, ChecksEachFieldOfAnEvent) {
  const auto problem = [](const std::string& event) {
    HistoryParts parts;
    auto ok = parse_history_text(event, HistoryText::event_line, {"h.jsonl", 5}, parts);
    if (!ok) return ok.error().message;
    return parts.bad_event ? parts.bad_event->message : std::string("ok");
  };
  EXPECT_EQ(problem(R"({"type": "Marker", "time_ms": 1})"), "h.jsonl:5: \"seq\" missing or not an integer");
  EXPECT_EQ(problem(R"({"seq": 1.0, "type": "Marker", "time_ms": 1})"), "h.jsonl:5: \"seq\" missing or not an integer");
  EXPECT_EQ(problem(R"({"seq": {"n": 1}, "type": "Marker", "time_ms": 1})"),
            "h.jsonl:5: \"seq\" missing or not an integer");
  EXPECT_EQ(problem(R"({"seq": 4, "type": ["Marker"], "time_ms": 1})"),
            "h.jsonl:5 (seq 4): \"type\" missing or not a string");
  EXPECT_EQ(problem(R"({"seq": 4, "type": "Mark\u0065rX", "time_ms": 1})"),
            "h.jsonl:5 (seq 4): unknown event type \"MarkerX\" (written by a newer agentrt, or the file was edited)");
  EXPECT_EQ(problem(R"({"seq": 4, "type": "Mark\u0065r", "time_ms": 1})"), "ok");
  EXPECT_EQ(problem(R"({"seq": 4, "type": "Marker", "time_ms": "1"})"),
            "h.jsonl:5 (seq 4): \"time_ms\" missing or not an integer");
  EXPECT_EQ(problem(R"({"seq": 4, "type": "Marker", "time_ms": 1, "data": [1]})"),
            "h.jsonl:5 (seq 4): \"data\" must be an object, got array");
  EXPECT_EQ(problem(R"({"seq": 4, "type": "Marker", "time_ms": 1, "data": null})"),
            "h.jsonl:5 (seq 4): \"data\" must be an object, got null");
}

}  // namespace
}  // namespace agentrt
