"""A real `mcof serve` on loopback, in a process of its own: what the browser tests drive and
what benchmarks/serve_load.py loads.

A process, not a thread: the durable-rules host is process-wide and its C code is not
re-entrant, so the tests' own engine calls (the expected answers) must not share it with the
server's. The port is a free one the kernel picks; if another program takes it between the
pick and the server's bind, the server exits at once and another port is tried. The server is
ready when it answers; it is stopped with SIGINT (uvicorn's graceful shutdown), then
terminated, then killed, so a test run never leaves one behind.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"  # loopback only: nothing here ever listens on, or sends to, another address
READY_PATH = "/static/app.css"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    pass


class LiveServer:
    """``mcof serve --port P --records RECORDS [ARGS...]`` on 127.0.0.1; use it as a context
    manager. ``env`` is added to the environment (e.g. SOURCE_DATE_EPOCH)."""

    def __init__(self, records: Path | str, args: tuple[str, ...] = (), env: dict | None = None,
                 timeout: float = 30.0):
        self.records, self.args, self.timeout = str(records), tuple(args), timeout
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self._log = tempfile.TemporaryFile("w+", prefix="mcof-serve-log-")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read()

    def start(self, attempts: int = 3) -> "LiveServer":
        for _ in range(attempts):
            self.port = free_port()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mcof", "serve", "--host", HOST, "--port", str(self.port),
                 "--records", self.records, *self.args],
                stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env)
            if self._wait_ready():
                return self
            if self.process.poll() is None:  # running, but not answering in time
                break
        self.stop()
        raise ServerDidNotStart(f"mcof serve did not answer on {self.url} within {self.timeout:.0f} s; "
                                f"its output:\n{self.log()[-3000:]}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # exited (the port was taken, or it failed): the caller retries or reports
            try:
                with urllib.request.urlopen(self.url + READY_PATH, timeout=2) as answer:
                    if answer.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for action, wait in ((lambda: process.send_signal(signal.SIGINT), 10), (process.terminate, 5),
                             (process.kill, 5)):
            action()
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._log.close()
