"""An OTLP/HTTP traces receiver for the tests (stdlib only): it accepts POST /v1/traces with
the JSON encoding, checks every request against the OTLP/JSON shape (resource, scope, spans,
ids in lower-case hex, times as decimal strings, attribute values, status), and keeps the spans.
Anything malformed is recorded in `problems` (and answered 400), so a test can assert there
were none. `fail_first` makes it answer 503 to the first N requests (a busy collector)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DECIMAL = re.compile(r"^[0-9]+$")
VALUE_KINDS = {"stringValue", "intValue", "boolValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"}


def attribute_problems(where: str, attributes: Any) -> list[str]:
    if not isinstance(attributes, list):
        return [f"{where}: attributes is not a list"]
    problems = []
    for i, kv in enumerate(attributes):
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str) or not kv["key"]:
            problems.append(f"{where}.attributes[{i}]: no key")
            continue
        value = kv.get("value")
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in VALUE_KINDS:
            problems.append(f"{where}.attributes[{kv['key']}]: value {value!r} is not one AnyValue")
        elif "intValue" in value and not (isinstance(value["intValue"], str) and re.match(r"^-?[0-9]+$", value["intValue"])):
            problems.append(f"{where}.attributes[{kv['key']}]: intValue {value['intValue']!r} is not a decimal string")
    return problems


def span_problems(where: str, span: Any) -> list[str]:
    if not isinstance(span, dict):
        return [f"{where}: not an object"]
    problems = []
    if not HEX32.match(str(span.get("traceId"))) or set(str(span.get("traceId"))) == {"0"}:
        problems.append(f"{where}: traceId {span.get('traceId')!r} is not 32 lower-case hex digits")
    if not HEX16.match(str(span.get("spanId"))) or set(str(span.get("spanId"))) == {"0"}:
        problems.append(f"{where}: spanId {span.get('spanId')!r} is not 16 lower-case hex digits")
    if "parentSpanId" in span and not HEX16.match(str(span["parentSpanId"])):
        problems.append(f"{where}: parentSpanId {span['parentSpanId']!r} is not 16 lower-case hex digits")
    if not isinstance(span.get("name"), str) or not span["name"]:
        problems.append(f"{where}: no name")
    if span.get("kind") not in (0, 1, 2, 3, 4, 5):
        problems.append(f"{where}: kind {span.get('kind')!r}")
    start, end = span.get("startTimeUnixNano"), span.get("endTimeUnixNano")
    if not (isinstance(start, str) and DECIMAL.match(start) and isinstance(end, str) and DECIMAL.match(end)):
        problems.append(f"{where}: times {start!r}..{end!r} are not decimal strings")
    elif int(end) < int(start):
        problems.append(f"{where}: ends before it starts")
    elif int(start) < 1_600_000_000 * 10**9:
        problems.append(f"{where}: start {start} is not Unix nanoseconds")
    problems += attribute_problems(where, span.get("attributes", []))
    status = span.get("status", {})
    if not isinstance(status, dict) or status.get("code", 0) not in (0, 1, 2):
        problems.append(f"{where}: status {status!r}")
    return problems


def request_problems(doc: Any) -> list[str]:
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceSpans"), list):
        return ["no resourceSpans list"]
    problems = []
    for r, resource_spans in enumerate(doc["resourceSpans"]):
        where = f"resourceSpans[{r}]"
        resource = resource_spans.get("resource", {})
        attributes = resource.get("attributes", [])
        problems += attribute_problems(where + ".resource", attributes)
        names = [kv.get("key") for kv in attributes if isinstance(kv, dict)]
        if "service.name" not in names:
            problems.append(f"{where}.resource: no service.name")
        scope_spans = resource_spans.get("scopeSpans")
        if not isinstance(scope_spans, list) or not scope_spans:
            problems.append(f"{where}: no scopeSpans")
            continue
        for s, scope in enumerate(scope_spans):
            if not isinstance(scope.get("scope", {}).get("name"), str):
                problems.append(f"{where}.scopeSpans[{s}]: no scope name")
            for i, span in enumerate(scope.get("spans", [])):
                problems += span_problems(f"{where}.scopeSpans[{s}].spans[{i}]", span)
    return problems


def attributes_of(span: dict) -> dict:
    """{key: python value} of a span's attributes (intValue as int)."""
    out = {}
    for kv in span.get("attributes", []):
        (kind, value), = kv["value"].items()
        out[kv["key"]] = int(value) if kind == "intValue" else value
    return out


class OtlpReceiver:
    def __init__(self, fail_first: int = 0):
        self.spans: list[dict] = []
        self.resources: list[dict] = []
        self.problems: list[str] = []
        self.requests = 0
        self.batch_sizes: list[int] = []  # spans per accepted request
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = receiver.take(self.path, self.headers.get("Content-Type", ""), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "OtlpReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"

    def take(self, path: str, content_type: str, body: bytes) -> tuple[int, dict]:
        with self.lock:
            self.requests += 1
            if self.requests <= self.fail_first:
                return 503, {}
            if path != "/v1/traces":
                self.problems.append(f"POST to {path}")
                return 404, {}
            if content_type.split(";")[0].strip() != "application/json":
                self.problems.append(f"content type {content_type!r}")
                return 415, {}
            try:
                doc = json.loads(body)
            except ValueError as e:
                self.problems.append(f"body is not JSON: {e}")
                return 400, {}
            problems = request_problems(doc)
            if problems:
                self.problems += problems
                return 400, {}
            batch = 0
            for resource_spans in doc["resourceSpans"]:
                self.resources.append(resource_spans["resource"])
                for scope in resource_spans["scopeSpans"]:
                    self.spans += scope.get("spans", [])
                    batch += len(scope.get("spans", []))
            self.batch_sizes.append(batch)
            return 200, {}

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.spans)
