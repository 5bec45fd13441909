"""``jug webstatus``: a real server started by the command, its endpoints over HTTP, and
its page in a real headless Chromium while real ``jug execute`` workers run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# The task names and the error text a malicious (or unlucky) jugfile could put on the page.
EVIL_NAME = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
EVIL_ERROR = "<script>window.__pwned=3</script> & <b>bold</b>"

JUGFILE = f"""
import os, time
from jug import TaskGenerator

DELAY = float(os.environ.get("JUG_TEST_DELAY", "0"))


@TaskGenerator
def work(i):
    time.sleep(DELAY)
    return i * i


def evil(x):
    return x

evil.__name__ = {EVIL_NAME!r}
evil = TaskGenerator(evil)


@TaskGenerator
def broken(x):
    raise ValueError({EVIL_ERROR!r})


@TaskGenerator
def total(xs):
    return sum(xs)


values = [work(i) for i in range(24)]
odd = evil(1)
bad = broken(2)
result = total(values)
"""


def _start(project, *args, env=None):
    """``jug webstatus ARGS --port 0``; returns (process, base URL)."""
    proc = project.start("webstatus", "--port", "0", *args, env=env)
    line = proc.stdout.readline()
    match = re.search(r"serving (http://\S+/)", line)
    if match is None:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"webstatus did not start: {line}{out}{err}")
    return proc, match.group(1).replace("localhost", "127.0.0.1")


def _stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def _get(url, method="GET", headers=None):
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _tree(path: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime)
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def served(project):
    project.write("jugfile.py", JUGFILE)
    assert project.jug("execute", "--keep-going", "--keep-failed").returncode == 1
    proc, url = _start(project, "--refresh", "0.5")
    yield project, url
    _stop(proc)


def test_every_endpoint(served):
    project, url = served
    before = _tree(project.path / "jugfile.jugdata")

    status, headers, body = _get(url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "<script>" in page and 'src="http' not in page and 'href="http' not in page
    assert "window.__pwned" not in page  # the page holds no data: it fetches it
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert _get(url + "index.html")[2] == body

    status, headers, body = _get(url + "api/status")
    assert status == 200 and headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["schema"] == "jug-status" and doc["version"] == 1
    assert doc["totals"]["finished"] == 26 and doc["totals"]["failed"] == 1
    assert doc["totals"]["waiting"] == 0 and doc["totals"]["total"] == 27
    names = {row["name"]: row for row in doc["tasks"]}
    assert names[f"jugfile.{EVIL_NAME}"]["finished"] == 1
    assert names["jugfile.work"]["durations"]["count"] == 24
    (failure,) = doc["failed"]
    assert failure["name"] == "jugfile.broken" and failure["error"].startswith("ValueError")
    assert EVIL_ERROR in failure["traceback"]

    status, headers, body = _get(url + "metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    metrics = body.decode()
    assert 'jug_tasks{name="jugfile.work",state="finished"} 24' in metrics
    assert 'jug_project_tasks{state="failed"} 1' in metrics
    assert 'jug_task_duration_seconds_count{name="jugfile.work"} 24' in metrics
    # Every sample line is NAME{LABELS} VALUE, with the evil name's quote escaped.
    for line in metrics.splitlines():
        if not line.startswith("#"):
            assert re.fullmatch(r'[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? \S+', line), line
    assert 'onerror=\\"window' in metrics

    status, headers, body = _get(url, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000

    for path in ("nope", "api", "api/status/x", "../jugfile.py", "metrics.txt"):
        assert _get(url + path)[0] == 404, path
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, headers, _ = _get(url + "api/status", method=method)
        assert status == 405 and headers["Allow"] == "GET, HEAD", method

    # On localhost, a request naming another host (DNS rebinding) is refused.
    assert _get(url + "api/status", headers={"Host": "evil.example:80"})[0] == 403
    assert _get(url + "api/status", headers={"Host": "localhost"})[0] == 200

    assert _tree(project.path / "jugfile.jugdata") == before  # read-only


def test_listening_elsewhere_is_said_loudly(project):
    project.write("jugfile.py", JUGFILE)
    proc, url = _start(project, "--ip", "0.0.0.0")
    port = url.rsplit(":", 1)[1].strip("/")
    assert _get(f"http://127.0.0.1:{port}/api/status", headers={"Host": "node17:1"})[0] == 200
    _, err = _stop(proc)
    assert "WARNING" in err and "0.0.0.0" in err and "anyone" in err


def test_bad_options(project):
    project.write("jugfile.py", JUGFILE)
    for args in (["--port", "http"], ["--port", "70000"], ["--refresh", "0"]):
        done = project.jug("webstatus", *args)
        assert done.returncode == 2 and "jug webstatus" in done.stderr, args
    with_busy_port = project.start("webstatus", "--port", "0")
    port = re.search(r":(\d+)/", with_busy_port.stdout.readline()).group(1)
    done = project.jug("webstatus", "--port", port)
    _stop(with_busy_port)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("jug: cannot listen on localhost:")


def test_the_page_in_a_browser(project, browser, tmp_path):
    """Chromium loads the page while two workers run: the counts change without a reload,
    a failed task's traceback is shown (as text), and no injected script runs."""
    project.write("jugfile.py", JUGFILE)
    proc, url = _start(project, "--refresh", "0.3")
    try:
        browser.open(url)
        browser.wait_for("document.body.dataset.generated")
        browser.evaluate("window.__loadedOnce = 'yes'")  # gone if the page reloads
        before = browser.evaluate("document.getElementById('s-finished').textContent")
        assert before == "0 / 27"

        env = {"JUG_TEST_DELAY": "0.15"}
        workers = [
            project.start("execute", "--keep-going", "--keep-failed", env=env) for _ in range(2)
        ]
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen.add(browser.evaluate("document.getElementById('s-finished').textContent"))
            if browser.evaluate("document.querySelectorAll('#running tr').length") > 1:
                seen.add("running shown")
            if any(w.poll() is None for w in workers):
                time.sleep(0.1)
                continue
            break
        for w in workers:
            w.communicate(timeout=60)
        assert "running shown" in seen
        assert len(seen - {"running shown"}) >= 3, seen  # several counts on the way

        browser.wait_for("document.getElementById('s-finished').textContent === '26 / 27'")
        assert browser.evaluate("window.__loadedOnce") == "yes"  # never reloaded

        # The failed task, its traceback expandable, its text shown as text.
        browser.evaluate("document.querySelector('#failed details').open = true")
        summary = browser.evaluate("document.querySelector('#failed summary').textContent")
        assert "jugfile.broken" in summary and "ValueError" in summary
        traceback = browser.evaluate("document.querySelector('#failed pre').textContent")
        assert "Traceback" in traceback and EVIL_ERROR in traceback
        assert browser.evaluate("document.querySelectorAll('#failed pre *').length") == 0

        # The evil task name is a row of text; none of its markup became elements.
        names = browser.evaluate(
            "Array.from(document.querySelectorAll('#names td.name')).map(e => e.textContent)"
        )
        assert f"jugfile.{EVIL_NAME}" in names
        assert browser.evaluate("typeof window.__pwned") == "undefined"
        assert (
            browser.evaluate("document.querySelectorAll('#names img, #names script').length") == 0
        )

        # The stacked bar of the work row is all "finished".
        widths = browser.evaluate(
            "Array.from(document.querySelectorAll('tr[data-name=\"jugfile.work\"] .stack span'))"
            ".map(s => [s.dataset.state, s.style.width])"
        )
        assert widths == [["finished", "100%"]]

        shot = browser.screenshot(tmp_path / "webstatus.png")
        assert shot.startswith(b"\x89PNG") and len(shot) > 10_000
        target = os.environ.get("JUG_WEBSTATUS_SCREENSHOT")
        if target:  # how docs/webstatus.png is made
            Path(target).write_bytes(shot)
    finally:
        _stop(proc)


def test_the_page_shows_a_lost_server(project, browser):
    project.write("jugfile.py", JUGFILE)
    proc, url = _start(project, "--refresh", "0.2")
    browser.open(url)
    browser.wait_for("document.body.dataset.generated")
    _stop(proc)
    browser.wait_for("document.getElementById('live').classList.contains('lost')")
    assert "Cannot reach" in browser.evaluate("document.getElementById('error').textContent")
