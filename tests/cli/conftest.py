"""Fixtures of the jug-cli tests (the scratch projects, table parsers and in-memory store
are the shared fixtures of tests/conftest.py, from jug.testing)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jug.testing import JugProject

_HASHES = """
import json, sys
import jug
from jug.task import alltasks
jug.init(sys.argv[1], 'dict_store')
out = {}
for t in alltasks:
    out.setdefault(t.name, []).append(t.hash().decode())
print(json.dumps(out))
"""


def task_hashes(project: JugProject, jugfile: str = "jugfile.py") -> dict[str, list[str]]:
    """Task name → hashes (in definition order) of *jugfile*'s tasks, computed by jug."""
    return project.python(_HASHES, jugfile)


@pytest.fixture
def hashes() -> Callable[..., dict[str, list[str]]]:
    return task_hashes


# -- a headless Chromium driven through the DevTools protocol (tests/cli/test_webstatus.py) --
#
# The protocol is spoken over a pipe (--remote-debugging-pipe: JSON messages ending in a NUL
# byte, commands on the browser's fd 3, replies on its fd 4), so the standard library is
# enough: no selenium, no chromedriver, no websocket client. Only the few commands the tests
# use are wrapped: open a page, evaluate JavaScript in it, take a screenshot.

# Without the background-networking flags Chromium keeps trying to reach the outside,
# which a closed network refuses many times over; --no-sandbox because the tests may run
# as root (CI does).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """The browser's path; skip the test without one, or fail with JUG_REQUIRE_BROWSER=1."""
    path = find_chromium()
    if path is None:
        why = "no chromium on PATH (Debian: apt-get install chromium)"
        if os.environ.get("JUG_REQUIRE_BROWSER") == "1":
            pytest.fail(f"a browser is required (JUG_REQUIRE_BROWSER=1) but {why}")
        pytest.skip(why)
    return path


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium process; use as a context manager."""

    def __init__(self, executable: str, width: int = 1200, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="jug-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Move the browser's ends above 4 first, so that placing them on 3 and 4 in the
        # child cannot overwrite one with the other.
        high_r = os.dup(to_browser_r) if to_browser_r < 5 else to_browser_r
        high_w = os.dup(from_browser_w) if from_browser_w < 5 else from_browser_w
        while high_r < 5:
            high_r = os.dup(high_r)
        while high_w < 5:
            high_w = os.dup(high_w)

        def place_fds() -> None:
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [
                executable,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            # 3 and 4 too: the child closes what is not listed after place_fds has run.
            pass_fds=(3, 4, high_r, high_w),
            preexec_fn=place_fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for fd in {to_browser_r, from_browser_w, high_r, high_w}:
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    # -- the protocol -------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        """Send a command (to the page's session, once one is open); return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = self._wait_for(self._next_id, timeout)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _wait_for(self, wanted: int, timeout: float) -> dict[str, Any]:
        import select

        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if message.get("id") == wanted:
                    return message
                if "method" in message:
                    self.events.append(message)
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no reply from the browser within {timeout}s")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise BrowserError(f"the browser exited: {err[-2000:]}")
            self._buffer += chunk

    # -- what the tests do ----------------------------------------------------------------

    def open(self, url: str) -> None:
        """Open *url* in a new tab and attach to it."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript *expression* in the page (JSON-able values)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0, every: float = 0.1) -> Any:
        """Evaluate *expression* until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except BrowserError:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"still false after {timeout}s: {expression}")
            time.sleep(every)

    def screenshot(self, path: str | os.PathLike[str]) -> bytes:
        """Save a PNG of the whole page into *path*; return its bytes."""
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        data = self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": size["width"],
                    "height": size["height"],
                    "scale": 1,
                },
            },
        )["data"]
        png = base64.b64decode(data)
        with open(path, "wb") as out:
            out.write(png)
        return png


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A headless Chromium (skipped without one, failed with JUG_REQUIRE_BROWSER=1)."""
    with Browser(require_chromium()) as b:
        yield b
