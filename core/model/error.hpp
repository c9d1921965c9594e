#pragma once
// Expected failures are values: every port returns Result<T>, classified by what the caller
// does next (see STYLE.md "Errors"). Messages say what failed and on what; never a secret.

#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace agentrt {

enum class Errc {
  ok = 0,
  retryable,  // transient: retry with backoff
  throttled,  // the peer asked us to slow down: retry with backoff
  not_found,
  conflict,   // a conditional write lost (duplicate id, sequence already taken)
  fenced,     // our lease epoch is stale: stop the session at once, write nothing more
  invalid,    // bad input: never retried
  fatal,      // cannot continue (corrupt store, impossible state)
  cancelled,  // shutdown or caller cancelled: not a failure
  timeout,    // a deadline passed
};

const std::error_category& agentrt_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;
const char* errc_name(Errc e) noexcept;

struct Error {
  Errc code = Errc::fatal;
  std::string message;

  Error() = default;
  Error(Errc c, std::string m) : code(c), message(std::move(m)) {}

  // Prefixes context: Error{not_found,"no row"}.with_context("load session s-1")
  // -> "load session s-1: no row".
  [[nodiscard]] Error with_context(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message};
  }
  [[nodiscard]] bool retryable() const { return code == Errc::retryable || code == Errc::throttled || code == Errc::timeout; }
  [[nodiscard]] std::string to_string() const { return std::string(errc_name(code)) + ": " + message; }
};

// A value or an Error. C++20 has no std::expected; this is the small subset we need.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Result<void> ok_result() { return {}; }

}  // namespace agentrt

template <>
struct std::is_error_code_enum<agentrt::Errc> : std::true_type {};
