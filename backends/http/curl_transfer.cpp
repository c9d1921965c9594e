#include "backends/http/curl_transfer.hpp"

#include <algorithm>
#include <string_view>

#include "backends/http/curl_errors.hpp"
#include "backends/http/curl_multi_driver.hpp"
#include "backends/http/url.hpp"

namespace agentrt {
namespace {

bool has_line_break(std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

CurlTransfer::CurlTransfer(const boost::asio::any_io_executor& ex, HttpRequest request, BodyChunkSink on_chunk)
    : request_(std::move(request)),
      on_chunk_(std::move(on_chunk)),
      description_(request_.method + " " + redact_url(request_.url)),
      easy_(curl_easy_init()),
      done_(ex, boost::asio::steady_timer::time_point::max()) {}

CurlTransfer::~CurlTransfer() {
  if (auto driver = driver_.lock()) driver->remove(*this);
}

Result<std::unique_ptr<CurlTransfer>> CurlTransfer::create(const boost::asio::any_io_executor& ex, HttpRequest request,
                                                           BodyChunkSink on_chunk) {
  std::unique_ptr<CurlTransfer> transfer(new CurlTransfer(ex, std::move(request), std::move(on_chunk)));
  if (!transfer->easy_) return Error{Errc::fatal, transfer->description_ + ": curl_easy_init failed"};
  if (auto configured = transfer->configure(); !configured) return configured.error();
  return transfer;
}

Result<void> CurlTransfer::configure() {
  const auto& req = request_;
  if (req.method.empty() || has_line_break(req.method) || req.method.find(' ') != std::string::npos) {
    return Error{Errc::invalid, description_ + ": bad HTTP method"};
  }
  if (req.timeout.count() <= 0) return Error{Errc::invalid, description_ + ": timeout must be positive"};
  CURL* easy = easy_.get();
  CURLcode rc = CURLE_OK;  // the first failing option wins
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, req.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  set(CURLOPT_ERRORBUFFER, error_buffer_.data());
  set(CURLOPT_PRIVATE, static_cast<void*>(this));
  set(CURLOPT_WRITEFUNCTION, &CurlTransfer::on_body);
  set(CURLOPT_WRITEDATA, static_cast<void*>(this));
  set(CURLOPT_HEADERFUNCTION, &CurlTransfer::on_header);
  set(CURLOPT_HEADERDATA, static_cast<void*>(this));
  if (req.method == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    set(CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      // The body lives in request_, as long as the easy handle: no copy needed.
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      set(CURLOPT_POSTFIELDS, req.body.data());
    }
  }
  if (rc != CURLE_OK) return curl_error(rc, description_, "configuring the request");
  return set_headers();
}

Result<void> CurlTransfer::set_headers() {
  // "Expect:" stops curl from waiting for a 100-continue on large bodies.
  std::vector<std::string> lines{"Expect:"};
  for (const auto& [name, value] : request_.headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value) || name.find(':') != std::string::npos) {
      // The value may be a secret: name only the header.
      return Error{Errc::invalid, description_ + ": bad header '" + (has_line_break(name) ? "?" : name) + "'"};
    }
    // curl sends "Name;" as a header with an empty value ("Name:" would delete it).
    lines.push_back(value.empty() ? name + ";" : name + ": " + value);
  }
  for (const auto& line : lines) {
    // Appending returns the list's head: a new one only when the list was empty.
    curl_slist* head = curl_slist_append(header_list_.get(), line.c_str());
    if (head == nullptr) return Error{Errc::fatal, description_ + ": out of memory for headers"};
    if (!header_list_) header_list_.reset(head);
  }
  if (const CURLcode rc = curl_easy_setopt(easy_.get(), CURLOPT_HTTPHEADER, header_list_.get()); rc != CURLE_OK) {
    return curl_error(rc, description_, "setting headers");
  }
  return ok_result();
}

std::size_t CurlTransfer::on_header(char* data, std::size_t size, std::size_t count, void* self) {
  auto& t = *static_cast<CurlTransfer*>(self);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t.response_.headers.clear();  // a new response head (after 1xx or a redirect)
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    t.response_.headers.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

std::size_t CurlTransfer::on_body(char* data, std::size_t size, std::size_t count, void* self) {
  return static_cast<CurlTransfer*>(self)->take_body(std::string_view(data, size * count));
}

std::size_t CurlTransfer::take_body(std::string_view chunk) {
  const std::size_t room = request_.response_bytes_max - body_bytes_;
  const bool fits = chunk.size() <= room;
  if (!fits) {
    over_limit_ = true;
    if (!request_.truncate_body) return 0;  // aborts the transfer: CURLE_WRITE_ERROR
    chunk = chunk.substr(0, room);
  }
  body_bytes_ += chunk.size();
  long status = 0;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
  if (on_chunk_ && status >= 200 && status < 300) {
    try {
      if (!chunk.empty()) on_chunk_(chunk);
    } catch (...) {
      sink_error_ = std::current_exception();  // never let an exception cross libcurl's C frames
      return 0;
    }
  } else {
    response_.body.append(chunk);
  }
  return fits ? chunk.size() : 0;
}

void CurlTransfer::finish(CURLcode code) {
  driver_.reset();
  code_ = code;
  done_.cancel();
}

Result<HttpResponse> CurlTransfer::take_result() {
  if (sink_error_) std::rethrow_exception(sink_error_);
  const CURLcode code = code_.value_or(CURLE_ABORTED_BY_CALLBACK);
  const bool cut_on_purpose = over_limit_ && request_.truncate_body && code == CURLE_WRITE_ERROR;
  if (over_limit_ && !request_.truncate_body) {
    return Error{Errc::invalid, "response from " + redact_url(request_.url) + " exceeds " +
                                    std::to_string(request_.response_bytes_max) + " bytes"};
  }
  if (code != CURLE_OK && !cut_on_purpose) return curl_error(code, description_, error_buffer_.data());
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &response_.status);
  response_.truncated = over_limit_;
  return std::move(response_);
}

}  // namespace agentrt
