"""A real redis-server for the e2e tests: 127.0.0.1, a free port, no persistence (--save ''
--appendonly no), killed with SIGKILL by stop() and started again on the same port by start()."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory(prefix="agentrt-e2e-redis-")
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.proc is not None:
            return
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self.dir.name, "--logfile", f"{self.dir.name}/redis.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def keys(self, pattern: str) -> list[str]:
        """KEYS pattern, over a raw RESP connection (tests only: KEYS scans everything)."""
        args = ["KEYS", pattern]
        request = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(request.encode())
            data = b""
            while True:
                data += s.recv(65536)
                lines = data.split(b"\r\n")
                count = int(lines[0][1:])
                if len(lines) >= 2 * count + 2:
                    return [lines[2 + 2 * i].decode() for i in range(count)]

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.dir.cleanup()
