#pragma once
// Incremental Server-Sent Events parser (the WHATWG "event stream" format): feed it the body
// in chunks split anywhere, get whole events back. Handles the fields data, event and id,
// multi-line data, comments (":..."), and LF, CRLF or CR line ends (also a CRLF split
// across two chunks). "retry" and unknown fields are ignored. Not thread-safe.
//
// Memory is bounded by the caller: the pending line and event grow with the input, and
// CurlClient bounds the whole body (HttpRequest::response_bytes_max).

#include <string>
#include <string_view>
#include <vector>

namespace agentrt {

struct SseEvent {
  std::string event;  // the "event" field; empty means the default type, "message"
  std::string data;   // data lines joined by '\n'
  std::string id;     // last event id seen so far in the stream (it persists across events)
};

class SseParser {
 public:
  // Returns the events completed by this chunk (a blank line ends an event), in order.
  std::vector<SseEvent> feed(std::string_view chunk);

 private:
  void take_line(std::string_view line, std::vector<SseEvent>& out);
  void dispatch(std::vector<SseEvent>& out);

  std::string line_;          // bytes of the line not yet terminated
  bool skip_lf_ = false;      // the previous chunk ended with CR: an LF first is part of it
  std::string event_;
  std::string data_;
  bool has_data_ = false;     // a data field was seen (it may be empty)
  std::string last_id_;
};

}  // namespace agentrt
