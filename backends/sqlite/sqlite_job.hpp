#pragma once
// A unit of work for the SQLite writer thread, and the glue that turns it into an awaitable
// completing on the caller's executor (the Asio thread never touches SQLite).

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "backends/sqlite/sqlite_db.hpp"
#include "core/model/error.hpp"

namespace agentrt::sqlite {

enum class JobKind {
  read,    // runs outside write transactions
  write,   // runs inside a group-commit transaction, in its own savepoint
  append,  // a write that counts in SqliteStats::appends
};

class SqliteJob {
 public:
  virtual ~SqliteJob() = default;
  [[nodiscard]] virtual JobKind kind() const = 0;
  // What the job does, e.g. "append session=s-1": the context of errors that are not its own.
  [[nodiscard]] virtual const std::string& what() const = 0;
  // Runs the job's SQL on the writer thread and keeps the result; true if it succeeded.
  virtual bool execute(SqliteDb& db) noexcept = 0;
  // The transaction holding a successful result did not commit: report `error` instead.
  virtual void fail_if_succeeded(const Error& error) = 0;
  // Sets the result without running (stopped store, failed BEGIN).
  virtual void fail(const Error& error) = 0;
  // Posts the result to the caller's executor. Called exactly once, after execute or fail.
  virtual void complete() = 0;
};

template <class T>
using JobBody = std::function<Result<T>(SqliteDb&)>;

template <class T, class Handler>
class TypedJob final : public SqliteJob {
 public:
  TypedJob(JobKind kind, std::string what, JobBody<T> body, Handler handler)
      : kind_(kind),
        what_(std::move(what)),
        body_(std::move(body)),
        handler_(std::move(handler)),
        work_(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler_))) {}

  [[nodiscard]] JobKind kind() const override { return kind_; }
  [[nodiscard]] const std::string& what() const override { return what_; }

  bool execute(SqliteDb& db) noexcept override {
    try {
      result_.emplace(body_(db));
    } catch (const std::exception& e) {  // a bug or bad_alloc: report it, keep the writer alive
      result_.emplace(
          Error{Errc::fatal, what_ + ": database " + db.path().string() + ": unexpected error: " + e.what()});
    }
    return result_->ok();
  }

  void fail_if_succeeded(const Error& error) override {
    if (!result_ || result_->ok()) result_.emplace(error);
  }

  void fail(const Error& error) override { result_.emplace(error); }

  void complete() override {
    auto executor = work_.get_executor();
    boost::asio::post(executor, [handler = std::move(handler_), result = std::move(*result_)]() mutable {
      std::move(handler)(std::move(result));
    });
    work_.reset();
  }

 private:
  using Executor = boost::asio::associated_executor_t<Handler>;

  JobKind kind_;
  std::string what_;
  JobBody<T> body_;
  Handler handler_;
  boost::asio::executor_work_guard<Executor> work_;  // keeps the caller's context alive meanwhile
  std::optional<Result<T>> result_;
};

// Hands `body` to `submit` (a callable taking std::unique_ptr<SqliteJob>) and suspends until
// the writer completes it; resumes on the awaiting coroutine's executor.
template <class T, class Submit>
boost::asio::awaitable<Result<T>> run_job(Submit& submit, JobKind kind, std::string what, JobBody<T> body) {
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Result<T>)>(
      [&submit, kind](auto handler, std::string job_what, JobBody<T> job_body) {
        using Handler = decltype(handler);
        submit(
            std::make_unique<TypedJob<T, Handler>>(kind, std::move(job_what), std::move(job_body), std::move(handler)));
      },
      boost::asio::use_awaitable, std::move(what), std::move(body));
}

// An awaitable that fails at once, for checks made before any job is queued.
template <class T>
boost::asio::awaitable<Result<T>> failed_now(Error error) {
  co_return error;
}

}  // namespace agentrt::sqlite
