#include "core/replay/history_document.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

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
