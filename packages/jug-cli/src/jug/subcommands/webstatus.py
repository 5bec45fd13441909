"""``jug webstatus``: a live status page, its JSON and Prometheus metrics, over HTTP.

The server is the standard library's :class:`http.server.ThreadingHTTPServer`: three read-only
endpoints for a handful of people (or one Prometheus) on a cluster's head node need no
framework, and a head node may have no way to install one. A web framework (the original
used bottle) would bring a dependency for routing three paths.

The store is asked by one background thread, every ``--refresh`` seconds, through
:class:`jug.execution.StatusMonitor` (the graph loaded once; only unfinished tasks checked
again); requests are answered from the last report, so ten open browser tabs cost the store
nothing more than one.

Endpoints (``GET`` and ``HEAD``; anything else is refused, and unknown paths are 404):

* ``/`` — the page (``_webstatus_page``), which polls:
* ``/api/status`` — the status document (schema ``jug-status``, ``docs/status-json.md``);
* ``/metrics`` — the same in Prometheus' text format.
"""

from __future__ import annotations

import sys
import threading

from . import SubCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from jug.store import Store

    from ._status_live import LiveStatus

__all__ = ["WebStatusCommand", "WebStatusServer"]

_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Whether *host* (a name or address) means this machine only."""
    import ipaddress

    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Snapshot:
    """The last report, as the bytes each endpoint serves, refreshed by a thread."""

    def __init__(self, live: LiveStatus, refresh: float) -> None:
        self.live = live
        self.refresh = refresh
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self.status = b"{}"
        self.metrics = b""
        self.error: str | None = None
        self.update()
        self._thread = threading.Thread(target=self._loop, name="jug-webstatus", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.refresh):
            self.update()

    def update(self) -> None:
        """Refresh; a failure (store unreachable...) keeps the last report, with the error."""
        import json

        from jug.errors import JugError

        try:
            report = self.live.refresh()
        except (JugError, OSError) as exc:
            with self._mutex:
                doc = json.loads(self.status) if self.status != b"{}" else {}
                doc["error"] = f"the last refresh failed: {exc}"
                self.status = json.dumps(doc).encode()
                self.error = str(exc)
            return
        doc = report.to_dict()
        doc["error"] = None
        status = json.dumps(doc, allow_nan=False).encode()
        metrics = report.to_prometheus().encode()
        with self._mutex:
            self.status, self.metrics, self.error = status, metrics, None

    def get(self, what: str) -> bytes:
        with self._mutex:
            data: bytes = getattr(self, what)
            return data


class WebStatusServer:
    """The HTTP server of ``jug webstatus`` for one project.

    Parameters
    ----------
    live : LiveStatus
        The project's status.
    ip : str
        Address (or host name) to listen on.
    port : int
        Port; 0 picks a free one.
    refresh : float
        Seconds between refreshes (the server's and the page's).
    """

    def __init__(self, live: LiveStatus, ip: str, port: int, refresh: float) -> None:
        from http.server import ThreadingHTTPServer

        from ._webstatus_page import csp, render

        self.snapshot = _Snapshot(live, refresh)
        self.page = render(refresh)
        self.csp = csp()
        self.loopback = is_loopback(ip)
        handler = _handler_class(self)
        server_class = ThreadingHTTPServer
        if ":" in ip:  # an IPv6 address
            import socket

            class _V6(ThreadingHTTPServer):
                address_family = socket.AF_INET6

            server_class = _V6
        server_class.daemon_threads = True
        self.httpd = server_class((ip.strip("[]"), port), handler)
        self.port = self.httpd.server_address[1]
        host = ip if ":" not in ip else f"[{ip.strip('[]')}]"
        self.url = f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        self.snapshot.start()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.snapshot.stop()
            self.httpd.server_close()

    def shutdown(self) -> None:
        self.httpd.shutdown()


def _handler_class(server: WebStatusServer) -> Any:
    from http.server import BaseHTTPRequestHandler

    routes = {
        "/": ("page", "text/html; charset=utf-8"),
        "/index.html": ("page", "text/html; charset=utf-8"),
        "/api/status": ("status", "application/json"),
        "/metrics": ("metrics", "text/plain; version=0.0.4; charset=utf-8"),
    }

    class Handler(BaseHTTPRequestHandler):
        server_version = "jug-webstatus"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            from jug import log

            log.debug("webstatus: %s - %s", self.address_string(), format % args)

        def _send(self, code: int, body: bytes, kind: str, head: bool = False) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("X-Frame-Options", "DENY")
            self.send_header("Content-Security-Policy", server.csp)
            if code == 405:
                self.send_header("Allow", "GET, HEAD")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _host_ok(self) -> bool:
            """On a loopback address, only requests for a loopback host name are served:
            a web page elsewhere cannot read the status through DNS rebinding."""
            if not server.loopback:
                return True
            host = (self.headers.get("Host") or "").strip()
            if host.startswith("["):
                name = host[: host.find("]") + 1] if "]" in host else host
            else:
                name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
            return is_loopback(name)

        def _get(self, head: bool) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if not self._host_ok():
                self._send(403, b"forbidden: unexpected Host header\n", "text/plain", head)
                return
            route = routes.get(path)
            if route is None:
                self._send(404, b"not found\n", "text/plain; charset=utf-8", head)
                return
            what, kind = route
            body = server.page if what == "page" else server.snapshot.get(what)
            self._send(200, body, kind, head)

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self._get(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._get(head=True)

        def _refuse(self) -> None:
            self._send(405, b"read-only: only GET and HEAD\n", "text/plain; charset=utf-8")

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse  # noqa: N815

    return Handler


def _port(text: str) -> int:
    import argparse

    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return port


class WebStatusCommand(SubCommand):
    """Serve a live status page (with /api/status and /metrics) over HTTP"""

    name = "webstatus"

    def parse(self, parser: Any) -> None:
        from .status import _seconds

        parser.add_argument(
            "--port",
            type=_port,
            dest="webstatus_port",
            metavar="PORT",
            help="port to listen on (default 8080; 0 picks a free one)",
        )
        parser.add_argument(
            "--ip",
            dest="webstatus_ip",
            metavar="ADDRESS",
            help="address to listen on (default localhost: this machine only; 0.0.0.0 "
            "means every network this machine is on)",
        )
        parser.add_argument(
            "--refresh",
            type=_seconds,
            dest="webstatus_refresh",
            metavar="SECONDS",
            help="seconds between refreshes of the status (default 3)",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"webstatus_port": 8080, "webstatus_ip": "localhost", "webstatus_refresh": 3.0}

    def run(self, options: Any, store: Store, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        from jug.errors import JugError
        from jug.execution.graph import hash_graph
        from jug.task import alltasks

        from . import stopped_at_barrier
        from ._status_cache import CachedGraph
        from ._status_live import LiveStatus

        tasks = list(alltasks)
        graph = CachedGraph(*hash_graph(tasks), not stopped_at_barrier(jugspace))
        live = LiveStatus(graph, store, options.jugfile, options.jugdir, list(options.argv), tasks)
        ip, port = str(options.webstatus_ip), int(options.webstatus_port)
        try:
            server = WebStatusServer(live, ip, port, float(options.webstatus_refresh))
        except OSError as exc:
            raise JugError(f"cannot listen on {ip}:{port}: {exc.strerror or exc}") from exc
        if not server.loopback:
            print(
                f"jug: WARNING: webstatus listens on {ip}, not on localhost: anyone who can "
                "reach this machine on port "
                f"{server.port} can read this project's status (task names, hosts, "
                "tracebacks), with no password. Use --ip localhost (and an SSH tunnel) "
                "unless that is what you want.",
                file=sys.stderr,
                flush=True,
            )
        print(f"jug webstatus: serving {server.url} (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("jug webstatus: stopped", flush=True)
        return 0
