"""A one-line progress display for terminals (``jug execute`` on a TTY)."""

from __future__ import annotations

import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from .rates import RateMeter


class Progress:
    """Shows ``done/total``, the rate, the ETA and the current task on one self-overwriting
    line: ``jug: 120/400 tasks done | 12.5/s, ETA 22s | jugfile.f``.

    :meth:`update` only records the state; a background thread redraws the line at most
    every *interval* seconds (and measures the rate, over the last minute, as it does), so
    that short tasks cost nothing and long ones still show.
    Disabled (every method a no-op) unless *enabled*, which defaults to whether *stream*
    is a terminal.
    """

    def __init__(
        self, stream: TextIO | None = None, enabled: bool | None = None, interval: float = 0.1
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.interval = interval
        self._done = 0
        self._total = 0
        self._current = ""
        self._text = ""
        self._shown = ""
        self._meter: RateMeter | None = None  # made when first drawn: most runs never are
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, done: int, total: int, current: str = "") -> None:
        """Record the state to display: *done* of *total* tasks, *current* activity."""
        if not self.enabled:
            return
        self._done, self._total, self._current = done, total, current
        self._text = "?"  # made by the drawing thread
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="jug-progress", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._draw()

    def line(self) -> str:
        """The line as it is drawn now (measuring the rate as it goes)."""
        from .rates import RateMeter, eta, format_rate, format_seconds

        done, total, current = self._done, self._total, self._current
        if self._meter is None:
            self._meter = RateMeter(window=60.0)
        self._meter.observe(done)
        text = f"jug: {done}/{total} tasks done"
        rate = self._meter.rate()
        if rate:
            text += f" | {format_rate(rate)}, ETA {format_seconds(eta(total - done, rate))}"
        return text + (f" | {current}" if current else "")

    def _draw(self) -> None:
        with self._mutex:
            if not self._text:
                return
            text = self.line()
            if text == self._shown:
                return
            # Imported here: shutil (with zlib, bz2, lzma) is start-up cost for every
            # `jug execute`, and the line is drawn only on a terminal.
            import shutil

            columns = shutil.get_terminal_size().columns
            self.stream.write("\r" + text[: max(columns - 1, 10)] + "\x1b[K")
            self.stream.flush()
            self._shown = text

    def clear(self) -> None:
        """Erase the line (before printing something else); it is redrawn on the next update."""
        if not self.enabled:
            return
        with self._mutex:
            if self._shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._shown = ""

    def close(self) -> None:
        """Stop redrawing and erase the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.clear()
        self._text = ""
