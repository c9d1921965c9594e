// Translation of SQLite result codes and rule violations into agentrt errors.
#include "backends/sqlite/sqlite_errors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

namespace agentrt::sqlite {
namespace {

using ::testing::HasSubstr;

class SqliteErrorsTest : public ::testing::Test {
 protected:
  Error translate(int rc) { return translate_sqlite_error(rc, "detail text", "append session=s-1", ctx_); }

  std::filesystem::path path_{"/data/agentrt.db"};
  SqliteErrorContext ctx_{path_, std::chrono::milliseconds{5000}};
};

TEST_F(SqliteErrorsTest, BusyAndLockedAreRetryableAndNameThePathAndTheWait) {
  for (int rc : {SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_TIMEOUT, SQLITE_LOCKED_SHAREDCACHE}) {
    const auto error = translate(rc);
    EXPECT_EQ(error.code, Errc::retryable) << rc;
    EXPECT_EQ(error.message,
              "append session=s-1: database /data/agentrt.db is locked by another process (waited 5000 ms)");
  }
}

TEST_F(SqliteErrorsTest, CorruptAndNotADatabaseAreFatal) {
  for (int rc : {SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_CORRUPT_INDEX}) {
    const auto error = translate(rc);
    EXPECT_EQ(error.code, Errc::fatal) << rc;
    EXPECT_THAT(error.message, HasSubstr("database /data/agentrt.db is corrupt or not an agentrt database"));
  }
}

TEST_F(SqliteErrorsTest, AccessProblemsAreFatalAndSayWhatToCheck) {
  EXPECT_EQ(translate(SQLITE_READONLY).code, Errc::fatal);
  EXPECT_THAT(translate(SQLITE_READONLY_DBMOVED).message, HasSubstr("check the permissions"));
  EXPECT_EQ(translate(SQLITE_CANTOPEN).code, Errc::fatal);
  EXPECT_THAT(translate(SQLITE_CANTOPEN).message, HasSubstr("cannot open database /data/agentrt.db"));
  EXPECT_EQ(translate(SQLITE_PERM).code, Errc::fatal);
  EXPECT_THAT(translate(SQLITE_PERM).message, HasSubstr("permission denied"));
  EXPECT_THAT(translate(SQLITE_FULL).message, HasSubstr("disk full"));
  EXPECT_THAT(translate(SQLITE_IOERR_FSYNC).message, HasSubstr("I/O error"));
  EXPECT_EQ(translate(SQLITE_IOERR_FSYNC).code, Errc::fatal);
}

TEST_F(SqliteErrorsTest, UnknownCodesAreFatalWithSqliteText) {
  const auto error = translate(SQLITE_MISMATCH);
  EXPECT_EQ(error.code, Errc::fatal);
  EXPECT_THAT(error.message, HasSubstr("detail text"));
  EXPECT_THAT(error.message, HasSubstr("/data/agentrt.db"));
}

TEST_F(SqliteErrorsTest, RuleViolationsHaveTheDocumentedMessages) {
  const auto fenced = fenced_error("append", SessionId{"s-9"}, EventSeq{17}, LeaseEpoch{3}, LeaseEpoch{4});
  EXPECT_EQ(fenced.code, Errc::fenced);
  EXPECT_EQ(fenced.message, "append session=s-9 seq=17: fenced (epoch 3, current 4)");
  const auto gap = seq_gap_error(SessionId{"s-9"}, EventSeq{8}, EventSeq{10});
  EXPECT_EQ(gap.code, Errc::conflict);
  EXPECT_EQ(gap.message, "append session=s-9: expected seq 8, got 10");
  const auto read_only = read_only_error(path_);
  EXPECT_EQ(read_only.code, Errc::invalid);
  EXPECT_EQ(read_only.message, "store /data/agentrt.db is open read-only");
  const auto too_new = schema_too_new_error(path_, 7, 1);
  EXPECT_EQ(too_new.code, Errc::fatal);
  EXPECT_EQ(too_new.message,
            "database /data/agentrt.db has schema version 7, newer than this build supports (1); "
            "upgrade agentrt");
  EXPECT_EQ(stopped_error(path_).code, Errc::cancelled);
}

}  // namespace
}  // namespace agentrt::sqlite
