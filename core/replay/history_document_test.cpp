#include "core/replay/history_document.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "core/replay/testing/synthetic_history.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;

json document(const History& h) {
  json events = json::array();
  for (const auto& e : h.events) events.push_back(to_json(e));
  return {{"format", "agentrt.history/1"}, {"session", h.session}, {"definition", h.definition}, {"events", events}};
}

std::string error_of(const json& doc, const std::string& name = "h.json") {
  auto h = parse_history(doc.dump(), name, HistoryEncoding::json_document);
  return h ? std::string("parsed") : h.error().message;
}

class HistoryDocument : public ::testing::Test {
 protected:
  AgentDefinition def_ = testing::synthetic_definition();
  History h_ = testing::synthetic_history(def_, 2, "h.json");
};

TEST_F(HistoryDocument, RoundTripsAnExport) {
  auto parsed = parse_history(document(h_).dump(2), "h.json", HistoryEncoding::json_document);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->name, "h.json");
  EXPECT_EQ(parsed->definition, h_.definition);
  ASSERT_EQ(parsed->events.size(), h_.events.size());
  EXPECT_EQ(to_json(parsed->events[5]), to_json(h_.events[5]));
}

TEST_F(HistoryDocument, ReadsJsonLines) {
  json header = document(h_);
  header.erase("events");
  std::string text = header.dump() + "\n";
  for (const auto& e : h_.events) text += to_json(e).dump() + "\n";
  auto parsed = parse_history(text, "h.jsonl", HistoryEncoding::json_lines);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->events.size(), h_.events.size());

  const auto bad_line = header.dump() + "\n" + to_json(h_.events[0]).dump() + "\n{oops\n";
  auto broken = parse_history(bad_line, "h.jsonl", HistoryEncoding::json_lines);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("h.jsonl:3: not valid JSON"), std::string::npos) << broken.error().message;
  EXPECT_FALSE(parse_history("\n\n", "e.jsonl", HistoryEncoding::json_lines));
}

TEST_F(HistoryDocument, RefusesANewerOrUnknownFormat) {
  json doc = document(h_);
  doc["format"] = "agentrt.history/2";
  EXPECT_EQ(error_of(doc), "h.json: history format agentrt.history/2 is newer than this build of agentrt reads "
                           "(agentrt.history/1); replay it with a newer agentrt");
  doc["format"] = "something/1";
  EXPECT_EQ(error_of(doc), "h.json: unknown history format \"something/1\" (expected \"format\": \"agentrt.history/1\")");
  doc.erase("format");
  EXPECT_NE(error_of(doc).find("h.json: not an agentrt history: no \"format\" field"), std::string::npos);
  EXPECT_NE(error_of(json::array()).find("not an agentrt history: expected a JSON object, got array"), std::string::npos);
}

TEST_F(HistoryDocument, RefusesCorruptText) {
  auto h = parse_history("{\"format\": \"agentrt.history/1\", ", "c.json", HistoryEncoding::json_document);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::invalid);
  EXPECT_NE(h.error().message.find("c.json: not valid JSON: "), std::string::npos) << h.error().message;
}

TEST_F(HistoryDocument, NamesTheBadEvent) {
  json doc = document(h_);
  doc["events"][4]["type"] = "ToolExploded";
  EXPECT_EQ(error_of(doc), "h.json: events[4] (seq 5): unknown event type \"ToolExploded\" (written by a newer "
                           "agentrt, or the file was edited)");
  doc = document(h_);
  doc["events"].erase(6);
  EXPECT_EQ(error_of(doc), "h.json: events[6] has seq 8, expected 7 (events must be numbered 1, 2, 3, ... without gaps)");
  doc = document(h_);
  doc["events"][2]["data"] = "text";
  EXPECT_EQ(error_of(doc), "h.json: events[2] (seq 3): \"data\" must be an object, got string");
  doc = document(h_);
  doc["events"][2].erase("seq");
  EXPECT_EQ(error_of(doc), "h.json: events[2]: \"seq\" missing or not an integer");
  doc = document(h_);
  doc["events"] = json::array();
  EXPECT_EQ(error_of(doc), "h.json: the history has no events");
  doc.erase("events");
  EXPECT_EQ(error_of(doc), "h.json: no \"events\" list");
  doc = document(h_);
  doc.erase("definition");
  EXPECT_NE(error_of(doc).find("h.json: no \"definition\" object"), std::string::npos);
}

// A large history broken deep inside: the message names that event, as the DOM reader did.
TEST_F(HistoryDocument, NamesABadEventDeepInALargeFile) {
  const History big = testing::synthetic_history(def_, 200, "big.json");
  ASSERT_GT(big.events.size(), 2600U);
  const auto error_at = [&](const std::function<void(json&)>& damage) {
    json doc = document(big);
    damage(doc["events"][2500]);
    return error_of(doc, "big.json");
  };
  EXPECT_EQ(error_at([](json& e) { e = 42; }),
            "big.json: events[2500]: expected an event object {seq, type, time_ms, data}, got number");
  EXPECT_EQ(error_at([](json& e) { e.erase("seq"); }), "big.json: events[2500]: \"seq\" missing or not an integer");
  EXPECT_EQ(error_at([](json& e) { e["type"] = "ToolExploded"; }),
            "big.json: events[2500] (seq 2501): unknown event type \"ToolExploded\" (written by a newer agentrt, or "
            "the file was edited)");
  EXPECT_EQ(error_at([](json& e) { e["time_ms"] = 1.5; }),
            "big.json: events[2500] (seq 2501): \"time_ms\" missing or not an integer");
  EXPECT_EQ(error_at([](json& e) { e["data"] = json::array(); }),
            "big.json: events[2500] (seq 2501): \"data\" must be an object, got array");
  EXPECT_EQ(error_at([](json& e) { e["seq"] = 9999; }),
            "big.json: events[2500] has seq 9999, expected 2501 (events must be numbered 1, 2, 3, ... without gaps)");

  // The first bad event is named; a bad header outranks it, and broken JSON outranks both.
  json doc = document(big);
  doc["events"][2600]["type"] = 7;
  doc["events"][2500]["type"] = 7;
  EXPECT_EQ(error_of(doc, "big.json"), "big.json: events[2500] (seq 2501): \"type\" missing or not a string");
  doc["format"] = "agentrt.history/9";
  EXPECT_NE(error_of(doc, "big.json").find("big.json: history format agentrt.history/9 is newer"), std::string::npos);
  const std::string cut = doc.dump().substr(0, doc.dump().size() - 1);
  auto broken = parse_history(cut, "big.json", HistoryEncoding::json_document);
  ASSERT_FALSE(broken);
  EXPECT_TRUE(broken.error().message.starts_with("big.json: not valid JSON: ")) << broken.error().message;
}

TEST_F(HistoryDocument, NamesABadLineDeepInALargeJsonLinesFile) {
  const History big = testing::synthetic_history(def_, 200, "big.jsonl");
  json header = document(big);
  header.erase("events");
  std::string text = header.dump() + "\n\n";  // a blank line counts as a line
  for (std::size_t i = 0; i < big.events.size(); ++i) {
    json e = to_json(big.events[i]);
    if (i == 2500) e["data"] = "text";
    text += e.dump() + "\n";
  }
  auto h = parse_history(text, "big.jsonl", HistoryEncoding::json_lines);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().message, "big.jsonl:2503 (seq 2501): \"data\" must be an object, got string");
}

TEST_F(HistoryDocument, ReadsAFileWhoseSizeIsNotKnownInAdvance) {
  const auto dir = std::filesystem::temp_directory_path() / ("history_document_fifo_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto fifo = dir / "piped.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const History big = testing::synthetic_history(def_, 100, "piped.json");  // far more than one read buffer
  const std::string text = document(big).dump(2);
  ASSERT_GT(text.size(), 256U * 1024U);
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << text; });
  auto h = read_history_file(fifo);
  writer.join();
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->events.size(), big.events.size());
  EXPECT_EQ(to_json(h->events.back()), to_json(big.events.back()));
}

TEST_F(HistoryDocument, ReadsFilesAndNamesMissingOnes) {
  const auto dir = std::filesystem::temp_directory_path() / ("history_document_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "one.json";
  std::ofstream(path) << document(h_).dump();
  auto h = read_history_file(path);
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->name, path.string());
  auto missing = read_history_file(dir / "missing.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "cannot read " + (dir / "missing.json").string() + ": No such file or directory");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agentrt
