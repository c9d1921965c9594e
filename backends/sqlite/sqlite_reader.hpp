#pragma once
// The thread that runs the store's read jobs on a connection of its own, beside the writer.
//
// Why: in WAL mode readers and the writer do not block each other, but on one thread they
// queue behind each other. The dispatcher's search for runnable sessions costs O(backlog)
// (serve_bench: about 0.35 ms with 1,300 sessions waiting), and on the writer thread every
// append queued behind it waited too: that was most of serve's p99 step overhead. Jobs queued
// together read one snapshot (one read transaction). The connection is query_only: a write
// job sent here by mistake fails instead of bypassing the writer's group commit and fencing.

#include <filesystem>
#include <memory>
#include <thread>

#include "backends/sqlite/sqlite_db.hpp"
#include "backends/sqlite/sqlite_job_queue.hpp"

namespace agentrt::sqlite {

class SqliteReader {
 public:
  // `db` is opened on the store's file and configured; the reader makes it query_only.
  static Result<std::unique_ptr<SqliteReader>> start(SqliteDb db);
  explicit SqliteReader(SqliteDb db);
  ~SqliteReader();  // stop()
  SqliteReader(const SqliteReader&) = delete;
  SqliteReader& operator=(const SqliteReader&) = delete;

  // Queues a read job. After stop() the job completes at once with Errc::cancelled.
  void submit(std::unique_ptr<SqliteJob> job);

  // Lets the running batch finish, completes every job still queued with Errc::cancelled,
  // joins the thread and closes the connection. Idempotent; not from the reader's own thread.
  void stop();

 private:
  void run();

  const std::filesystem::path path_;  // for messages, also after the connection is closed
  std::unique_ptr<SqliteDb> db_;      // touched by the reader thread only, until it is joined
  SqliteJobQueue queue_;
  std::thread thread_;  // last: starts after everything above is ready
};

}  // namespace agentrt::sqlite
