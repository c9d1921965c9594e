"""A fake OpenAI-compatible chat completions server for the end-to-end tests.

`POST /v1/chat/completions` answers as a deterministic function of the conversation, so a
crashed and resumed session that repeats a request gets the same reply. The behaviour is
driven by a directive in the newest user message that parses as one (see `Directive`):

  effects N par P    call tool `effect` N times in all, P calls per reply, then answer "done N"
  ask                call the ask_human tool, then answer "you said: <answer>"
  sleep S            call the sleep tool for S seconds, then answer "slept S"
  bad args K         K replies whose `effect` call violates the schema, then a valid call,
                     then answer "fixed after K"
  bad json K         the same with arguments that are not JSON at all
  unknown tool K     the same with a call of a tool that does not exist
  anything else      answer "echo: <text>"

Everything the model did since the directive (assistant messages and tool results) is the
progress of the turn. Streaming replies (`"stream": true`) are SSE: a role chunk, content and
tool-call fragments split over several chunks, a finish chunk, a usage chunk, `data: [DONE]`.

The server records every request (headers included, so a test can check Authorization),
checks that the conversation is well formed the way OpenAI does (an assistant message with
tool_calls must be followed by a tool message for each call id) and can inject faults: the
next K requests fail with a status (429 carries Retry-After), and a delay in the middle of
every reply so a test can kill the client mid-call.

Run by hand: `python3 fake_llm.py [--port N]` prints the base URL and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EFFECT_TOOL = "effect"
UNKNOWN_TOOL = "no_such_tool"


@dataclass
class Directive:
    kind: str  # effects | ask | sleep | bad_args | bad_json | unknown_tool | echo
    n: int = 0
    par: int = 1
    seconds: float = 0.0
    text: str = ""


_PATTERNS = [
    (re.compile(r"\beffects\s+(\d+)\s+par\s+(\d+)\b"), "effects"),
    (re.compile(r"\bbad args\s+(\d+)\b"), "bad_args"),
    (re.compile(r"\bbad json\s+(\d+)\b"), "bad_json"),
    (re.compile(r"\bunknown tool\s+(\d+)\b"), "unknown_tool"),
    (re.compile(r"\bsleep\s+(\d+(?:\.\d+)?)\b"), "sleep"),
    (re.compile(r"^\s*ask\b"), "ask"),
]


def parse_directive(text: str) -> Directive | None:
    for pattern, kind in _PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "effects":
            return Directive(kind, n=int(m.group(1)), par=max(1, int(m.group(2))), text=text)
        if kind == "sleep":
            return Directive(kind, seconds=float(m.group(1)), text=text)
        if kind == "ask":
            return Directive(kind, text=text)
        return Directive(kind, n=int(m.group(1)), text=text)
    return None


def message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def check_conversation(messages: Any) -> str | None:
    """What OpenAI would refuse with 400, or None when the conversation is well formed."""
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty array"
    pending: list[str] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool", "developer"):
            return f"messages[{i}]: bad role"
        role = m["role"]
        if role == "tool":
            call_id = m.get("tool_call_id")
            if call_id not in pending:
                return f"messages[{i}]: tool message for unknown or answered tool_call_id {call_id!r}"
            pending.remove(call_id)
            continue
        if pending:
            return (f"messages[{i}]: an assistant message with 'tool_calls' must be followed by tool "
                    f"messages responding to each 'tool_call_id' (missing {pending})")
        if role == "assistant":
            for call in m.get("tool_calls") or []:
                fn = call.get("function") or {}
                if not call.get("id") or call.get("type") != "function" or not fn.get("name") \
                        or not isinstance(fn.get("arguments"), str):
                    return f"messages[{i}]: malformed tool call {call!r}"
                pending.append(call["id"])
    if pending:
        return f"conversation ends with unanswered tool calls {pending}"
    return None


def _tool_param_names(tools: list, name: str) -> list[str]:
    for t in tools or []:
        fn = t.get("function") or {}
        if fn.get("name") == name:
            params = fn.get("parameters") or {}
            props = params.get("properties") or {}
            required = [p for p in params.get("required") or [] if p in props]
            return required + [p for p in props if p not in required]
    return []


def _tool_named(tools: list, *candidates: str) -> str:
    names = [(t.get("function") or {}).get("name") for t in tools or []]
    for c in candidates:
        if c in names:
            return c
    return candidates[0]


def sleep_arguments(tools: list, tool: str, seconds: float) -> dict:
    """Arguments for the sleep tool in whatever unit its schema asks for."""
    names = _tool_param_names(tools, tool)
    for p in names:
        lp = p.lower()
        if lp.endswith("_ms") or lp in ("ms", "millis", "milliseconds"):
            return {p: int(seconds * 1000)}
        if lp in ("seconds", "secs", "s", "duration_s", "duration_seconds"):
            return {p: seconds}
        if lp in ("duration", "for", "time"):
            return {p: f"{int(seconds * 1000)}ms"}
    return {"seconds": seconds}


def ask_arguments(tools: list, tool: str, question: str) -> dict:
    names = _tool_param_names(tools, tool)
    return {(names[0] if names else "question"): question}


class Conversation:
    """Decides the next assistant reply from a request body."""

    def __init__(self, body: dict):
        self.body = body
        self.messages = body.get("messages") or []
        self.tools = body.get("tools") or []
        self.directive: Directive | None = None
        self.after: list[dict] = []
        self.user_turns = 0
        for i in range(len(self.messages) - 1, -1, -1):
            m = self.messages[i]
            if m.get("role") == "user":
                d = parse_directive(message_text(m))
                if d is not None:
                    self.directive = d
                    self.after = self.messages[i + 1:]
                    self.user_turns = sum(1 for x in self.messages[: i + 1] if x.get("role") == "user")
                    break
        if self.directive is None:
            users = [m for m in self.messages if m.get("role") == "user"]
            self.directive = Directive("echo", text=message_text(users[-1]) if users else "")
            self.user_turns = len(users)

    def _assistant_replies(self) -> list[dict]:
        return [m for m in self.after if m.get("role") == "assistant"]

    def _calls_made(self, name: str | None = None) -> list[dict]:
        calls = []
        for m in self._assistant_replies():
            for c in m.get("tool_calls") or []:
                if name is None or (c.get("function") or {}).get("name") == name:
                    calls.append(c)
        return calls

    def _tool_results(self) -> list[str]:
        return [message_text(m) for m in self.after if m.get("role") == "tool"]

    def _call(self, k: int, name: str, arguments: str) -> dict:
        # Deterministic ids: a repeated request after a crash yields the same reply.
        return {"id": f"call_t{self.user_turns}_{k}", "type": "function",
                "function": {"name": name, "arguments": arguments}}

    def reply(self) -> tuple[str, list[dict]]:
        """(content, tool_calls) of the next assistant message."""
        d = self.directive
        replies = len(self._assistant_replies())
        if d.kind == "effects":
            made = len(self._calls_made(EFFECT_TOOL))
            if made >= d.n:
                return f"done {d.n}", []
            batch = min(d.par, d.n - made)
            calls = [self._call(made + j, EFFECT_TOOL, json.dumps({"n": made + j + 1})) for j in range(batch)]
            return "", calls
        if d.kind == "ask":
            tool = _tool_named(self.tools, "ask_human", "ask")
            results = self._tool_results()
            if not self._calls_made(tool):
                args = ask_arguments(self.tools, tool, "What is your name?")
                return "", [self._call(0, tool, json.dumps(args))]
            return f"you said: {results[-1] if results else ''}", []
        if d.kind == "sleep":
            tool = _tool_named(self.tools, "sleep", "wait")
            if not self._calls_made(tool):
                return "", [self._call(0, tool, json.dumps(sleep_arguments(self.tools, tool, d.seconds)))]
            return f"slept {d.seconds:g}", []
        if d.kind in ("bad_args", "bad_json", "unknown_tool"):
            if replies < d.n:
                if d.kind == "bad_args":
                    call = self._call(replies, EFFECT_TOOL, json.dumps({"n": "not a number"}))
                elif d.kind == "bad_json":
                    call = self._call(replies, EFFECT_TOOL, '{"n": 1,')
                else:
                    call = self._call(replies, UNKNOWN_TOOL, json.dumps({"n": 1}))
                return "", [call]
            if replies == d.n:
                return "", [self._call(replies, EFFECT_TOOL, json.dumps({"n": 1}))]
            return f"fixed after {d.n}", []
        return f"echo: {d.text}", []


def _split(text: str, pieces: int) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // pieces))
    return [text[i:i + size] for i in range(0, len(text), size)]


@dataclass
class RecordedRequest:
    time_ms: int
    path: str
    headers: dict
    body: Any
    status: int = 0
    reply: dict = field(default_factory=dict)  # {"content":..,"tool_calls":[..]} when answered


class _QuietServer(ThreadingHTTPServer):
    """Stays quiet when a client is killed mid-connection (the tests do that on purpose)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class FakeLlm:
    """The fake LLM server. `start()` binds 127.0.0.1 on a free port; `stop()` shuts it down."""

    def __init__(self, reply_delay: float = 0.0, required_key: str | None = None, port: int = 0):
        self.bind_port = port               # 0: the OS picks a free port
        self.reply_delay = reply_delay      # seconds, spent in the middle of each reply
        self.required_key = required_key    # when set, other Authorization values get 401
        self.requests: list[RecordedRequest] = []
        self.protocol_errors: list[str] = []
        self.in_flight = 0
        self._faults: list[tuple[int, str | None]] = []  # (status, retry_after) for the next requests
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 500, retry_after: str | None = None) -> None:
        with self._lock:
            self._faults.extend([(status, retry_after)] * count)

    def start(self) -> "FakeLlm":
        owner = self

        class Handler(_Handler):
            llm = owner

        self._server = _QuietServer(("127.0.0.1", self.bind_port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- used by the handler ---------------------------------------------------------------
    def _take_fault(self) -> tuple[int, str | None] | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _protocol_error(self, problem: str) -> None:
        with self._lock:
            self.protocol_errors.append(problem)

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    llm: FakeLlm

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def _send_json(self, status: int, doc: dict, extra_headers: dict | None = None) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, rec: RecordedRequest, status: int, message: str, kind: str, extra: dict | None = None) -> None:
        rec.status = status
        self._send_json(status, {"error": {"message": message, "type": kind, "code": None}}, extra)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        llm = self.llm
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError:
            body = None
        rec = RecordedRequest(int(time.time() * 1000), self.path, {k: v for k, v in self.headers.items()}, body)
        llm._record(rec)
        if len(raw) < length:  # the client died while sending: not a malformed request
            rec.status = 499
            self.close_connection = True
            return
        llm._enter()
        try:
            self._answer(rec, body)
        except (BrokenPipeError, ConnectionResetError):
            rec.status = rec.status or 499  # the client went away (killed or cancelled)
        finally:
            llm._leave()

    def _answer(self, rec: RecordedRequest, body: Any) -> None:
        llm = self.llm
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._error(rec, 404, f"no route {self.path}", "not_found")
        if llm.required_key is not None and self.headers.get("Authorization") != f"Bearer {llm.required_key}":
            return self._error(rec, 401, "Incorrect API key provided", "invalid_request_error")
        fault = llm._take_fault()
        if fault is not None:
            status, retry_after = fault
            extra = {"Retry-After": retry_after} if retry_after is not None else None
            kind = "rate_limit_exceeded" if status == 429 else "server_error"
            return self._error(rec, status, f"injected fault {status}", kind, extra)
        if not isinstance(body, dict):
            llm._protocol_error("request body is not a JSON object")
            return self._error(rec, 400, "request body is not a JSON object", "invalid_request_error")
        problem = None if body.get("model") else "missing model"
        problem = problem or check_conversation(body.get("messages"))
        if problem:
            llm._protocol_error(problem)
            return self._error(rec, 400, problem, "invalid_request_error")
        convo = Conversation(body)
        content, calls = convo.reply()
        rec.reply = {"content": content, "tool_calls": calls}
        tokens_in = sum(len(message_text(m)) for m in convo.messages) // 4 + 1
        tokens_out = len(content) // 4 + 1 + 8 * len(calls)
        finish = "tool_calls" if calls else "stop"
        rec.status = 200
        if body.get("stream"):
            self._stream(body, content, calls, finish, tokens_in, tokens_out)
        else:
            if llm.reply_delay:
                time.sleep(llm.reply_delay)
            message: dict = {"role": "assistant", "content": content or None}
            if calls:
                message["tool_calls"] = calls
            self._send_json(200, {
                "id": f"chatcmpl-{len(llm.requests)}", "object": "chat.completion", "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                          "total_tokens": tokens_in + tokens_out}})

    def _stream(self, body: dict, content: str, calls: list[dict], finish: str, tokens_in: int,
                tokens_out: int) -> None:
        base = {"id": f"chatcmpl-{len(self.llm.requests)}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body["model"]}

        def chunk(delta: dict, finish_reason: str | None = None) -> dict:
            return dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish_reason}])

        events: list[dict] = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in _split(content, 4)]
        for index, call in enumerate(calls):
            fn = call["function"]
            events.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                                 "function": {"name": fn["name"], "arguments": ""}}]}))
            events += [chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                       for piece in _split(fn["arguments"], 3)]
        events.append(chunk({}, finish))
        events.append(dict(base, choices=[], usage={"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                                                   "total_tokens": tokens_in + tokens_out}))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        half = len(events) // 2
        for i, ev in enumerate(events):
            if i == half and self.llm.reply_delay:
                time.sleep(self.llm.reply_delay)  # mid-stream: a kill now lands mid-LLM-call
            self._write_chunk(f"data: {json.dumps(ev)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds spent mid-reply")
    args = parser.parse_args()
    llm = FakeLlm(reply_delay=args.delay, port=args.port)
    llm.start()
    print(llm.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        llm.stop()


if __name__ == "__main__":
    main()
