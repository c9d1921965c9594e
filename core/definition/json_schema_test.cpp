#include "core/definition/json_schema.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agentrt {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Optional;

std::optional<std::string> validate(const char* schema, const char* value) {
  return validate_against_schema(json::parse(schema), json::parse(value));
}

std::optional<std::string> check(const char* schema) { return check_schema(json::parse(schema)); }

TEST(JsonSchemaValidate, TypeMismatchNamesThePointer) {
  const char* schema = R"({"type":"object","properties":{"q":{"type":"string"}}})";
  EXPECT_EQ(validate(schema, R"({"q":"x"})"), std::nullopt);
  EXPECT_THAT(validate(schema, R"({"q":3})"), Optional(std::string("/q: expected string, got number")));
  EXPECT_THAT(validate(schema, R"([1])"), Optional(std::string("/: expected object, got array")));
}

TEST(JsonSchemaValidate, TypeUnionAndIntegerRules) {
  const char* schema = R"({"type":["integer","null"]})";
  EXPECT_EQ(validate(schema, "3"), std::nullopt);
  EXPECT_EQ(validate(schema, "3.0"), std::nullopt);  // 3.0 is an integer in JSON Schema
  EXPECT_EQ(validate(schema, "null"), std::nullopt);
  EXPECT_THAT(validate(schema, "3.5"), Optional(std::string("/: expected integer or null, got number")));
  EXPECT_THAT(validate(schema, R"("3")"), Optional(std::string("/: expected integer or null, got string")));
  EXPECT_EQ(validate(R"({"type":"number"})", "7"), std::nullopt);
  EXPECT_THAT(validate(R"({"type":"boolean"})", "0"), Optional(HasSubstr("expected boolean")));
  EXPECT_THAT(validate(R"({"type":"null"})", "false"), Optional(HasSubstr("expected null, got boolean")));
}

TEST(JsonSchemaValidate, RequiredAndAdditionalProperties) {
  const char* schema =
      R"({"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false})";
  EXPECT_EQ(validate(schema, R"({"a":"x"})"), std::nullopt);
  EXPECT_THAT(validate(schema, R"({})"), Optional(std::string("/a: required property is missing")));
  EXPECT_THAT(validate(schema, R"({"a":"x","b":1})"), Optional(std::string("/b: unexpected property (allowed: a)")));
  const char* typed_extra = R"({"type":"object","additionalProperties":{"type":"integer"}})";
  EXPECT_EQ(validate(typed_extra, R"({"x":1,"y":2})"), std::nullopt);
  EXPECT_THAT(validate(typed_extra, R"({"x":"no"})"), Optional(std::string("/x: expected integer, got string")));
}

TEST(JsonSchemaValidate, ItemsAndArraySizes) {
  const char* schema = R"({"type":"array","items":{"type":"string"},"minItems":1,"maxItems":2})";
  EXPECT_EQ(validate(schema, R"(["a"])"), std::nullopt);
  EXPECT_THAT(validate(schema, R"([])"), Optional(std::string("/: has fewer than 1 items")));
  EXPECT_THAT(validate(schema, R"(["a","b","c"])"), Optional(std::string("/: has more than 2 items")));
  EXPECT_THAT(validate(schema, R"(["a",2])"), Optional(std::string("/1: expected string, got number")));
}

TEST(JsonSchemaValidate, NestedPointersAreEscaped) {
  const char* schema = R"({"properties":{"a/b":{"properties":{"c~d":{"type":"string"}}}}})";
  EXPECT_THAT(validate(schema, R"({"a/b":{"c~d":1}})"), Optional(std::string("/a~1b/c~0d: expected string, got number")));
}

TEST(JsonSchemaValidate, EnumAndConst) {
  EXPECT_EQ(validate(R"({"enum":["low","high",1]})", R"("high")"), std::nullopt);
  EXPECT_EQ(validate(R"({"enum":["low","high",1]})", "1.0"), std::nullopt);
  EXPECT_THAT(validate(R"({"enum":["low","high"]})", R"("mid")"),
              Optional(std::string(R"(/: "mid" is not one of ["low","high"])")));
  EXPECT_EQ(validate(R"({"const":{"k":1}})", R"({"k":1})"), std::nullopt);
  EXPECT_THAT(validate(R"({"const":"x"})", R"("y")"), Optional(std::string(R"(/: expected "x", got "y")")));
}

TEST(JsonSchemaValidate, NumericBounds) {
  const char* schema = R"({"type":"number","minimum":0,"maximum":2592000})";
  EXPECT_EQ(validate(schema, "0"), std::nullopt);
  EXPECT_EQ(validate(schema, "2592000"), std::nullopt);
  EXPECT_THAT(validate(schema, "-1"), Optional(std::string("/: -1 is less than the minimum 0")));
  EXPECT_THAT(validate(schema, "2592000.5"), Optional(HasSubstr("is greater than the maximum 2592000")));
}

TEST(JsonSchemaValidate, StringLengthCountsCharactersNotBytes) {
  const char* schema = R"({"type":"string","minLength":2,"maxLength":3})";
  EXPECT_EQ(validate(schema, R"("été")"), std::nullopt);  // 3 characters, 5 bytes
  EXPECT_THAT(validate(schema, R"("a")"), Optional(std::string("/: is shorter than 2 characters")));
  EXPECT_THAT(validate(schema, R"("abcd")"), Optional(std::string("/: is longer than 3 characters")));
}

TEST(JsonSchemaValidate, PatternSearchesLikeEcmaScript) {
  EXPECT_EQ(validate(R"({"pattern":"^T-[0-9]+$"})", R"("T-42")"), std::nullopt);
  EXPECT_EQ(validate(R"({"pattern":"[0-9]"})", R"("abc1")"), std::nullopt);  // unanchored: search
  EXPECT_THAT(validate(R"({"pattern":"^T-[0-9]+$"})", R"("X-1")"),
              Optional(std::string(R"(/: does not match the pattern "^T-[0-9]+$")")));
  EXPECT_EQ(validate(R"({"pattern":"^a"})", "5"), std::nullopt);  // keywords apply to their type only
}

TEST(JsonSchemaValidate, BooleanSchemasAndUnknownKeywords) {
  EXPECT_EQ(validate("true", R"({"any":1})"), std::nullopt);
  EXPECT_THAT(validate(R"({"properties":{"x":false}})", R"({"x":1})"), Optional(std::string("/x: no value is allowed here")));
  EXPECT_EQ(validate(R"({"type":"string","format":"email","x-custom":1})", R"("not an email")"), std::nullopt);
}

TEST(JsonSchemaCheck, AcceptsUsualToolSchemas) {
  EXPECT_EQ(check(R"({"type":"object","properties":{}})"), std::nullopt);
  EXPECT_EQ(check(R"({"type":"object","properties":{"q":{"type":"string","description":"query","pattern":"^[a-z]+$"},
      "n":{"type":["integer","null"],"minimum":1,"maximum":5},"tags":{"type":"array","items":{"enum":["a","b"]},
      "minItems":0,"maxItems":3}},"required":["q"],"additionalProperties":false})"),
            std::nullopt);
  EXPECT_EQ(check("true"), std::nullopt);
}

TEST(JsonSchemaCheck, RefusesMalformedKeywordsWithPointer) {
  EXPECT_THAT(check(R"("object")"), Optional(HasSubstr("/: expected a schema (an object or a boolean), got string")));
  EXPECT_THAT(check(R"({"properties":{"q":{"type":"strin"}}})"), Optional(HasSubstr("/properties/q/type: unknown type \"strin\"")));
  EXPECT_THAT(check(R"({"type":["string","bogus"]})"), Optional(HasSubstr("/type/1: unknown type \"bogus\"")));
  EXPECT_THAT(check(R"({"type":["string","string"]})"), Optional(HasSubstr("/type/1: type \"string\" is listed twice")));
  EXPECT_THAT(check(R"({"type":7})"), Optional(HasSubstr("/type: expected a type name")));
  EXPECT_THAT(check(R"({"properties":[]})"), Optional(HasSubstr("/properties: expected an object of property schemas")));
  EXPECT_THAT(check(R"({"required":"q"})"), Optional(HasSubstr("/required: expected an array of property names")));
  EXPECT_THAT(check(R"({"required":["q",1]})"), Optional(HasSubstr("/required/1: expected a property name")));
  EXPECT_THAT(check(R"({"additionalProperties":"no"})"), Optional(HasSubstr("/additionalProperties: expected a schema")));
  EXPECT_THAT(check(R"({"items":[{"type":"string"}]})"), Optional(HasSubstr("/items: expected a schema")));
  EXPECT_THAT(check(R"({"enum":[]})"), Optional(HasSubstr("/enum: expected a non-empty array")));
  EXPECT_THAT(check(R"({"minimum":"1"})"), Optional(HasSubstr("/minimum: expected a number, got string")));
  EXPECT_THAT(check(R"({"minLength":-1})"), Optional(HasSubstr("/minLength: expected a non-negative integer")));
  EXPECT_THAT(check(R"({"maxItems":1.5})"), Optional(HasSubstr("/maxItems: expected a non-negative integer")));
  EXPECT_THAT(check(R"({"minimum":5,"maximum":1})"), Optional(HasSubstr("/minimum: minimum is greater than maximum")));
  EXPECT_THAT(check(R"({"pattern":"([a-z"})"), Optional(HasSubstr("/pattern: invalid regular expression")));
  EXPECT_THAT(check(R"({"properties":{"a":{"items":{"properties":{"b":{"type":"nope"}}}}}})"),
              Optional(HasSubstr("/properties/a/items/properties/b/type: unknown type")));
}

}  // namespace
}  // namespace agentrt
