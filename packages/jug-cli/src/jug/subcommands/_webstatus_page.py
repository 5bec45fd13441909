"""The one page of ``jug webstatus``: HTML with its style and script inline, no other asset.

The script fetches ``/api/status`` (the status document, ``docs/status-json.md``) every few
seconds and rebuilds the page's tables from it. Every text taken from the document goes
into the page as text (``textContent``), never as markup, so a task named
``<script>alert(1)</script>`` shows as those characters. The server also sends a Content
Security Policy that allows only this page's own style and script (by their SHA-256), so
that markup slipped in any other way could not run a script either.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["PAGE_TEMPLATE", "SCRIPT", "STYLE", "csp", "render"]

STYLE = """
:root { --waiting:#b8c2cc; --ready:#4e9af1; --running:#f0b429; --finished:#3bb273;
        --failed:#e0474c; --stale:#9b59b6; --fg:#1f2933; --muted:#616e7c; --line:#e4e7eb; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0 auto; padding: 1.2em 2em 3em; max-width: 1200px; background: #fff; }
h1 { font-size: 1.4em; margin: 0 0 .2em; }
h1 .jugfile { color: #2a6f97; font-family: ui-monospace, monospace; }
h2 { font-size: 1.1em; margin: 1.6em 0 .5em; border-bottom: 1px solid var(--line); padding-bottom: .2em; }
.meta { color: var(--muted); font-size: .9em; }
.live { display: inline-block; width: .6em; height: .6em; border-radius: 50%; background: var(--finished);
        margin-right: .3em; }
.live.lost { background: var(--failed); }
#banner { display: none; background: #fde8e8; color: #9b1c1c; padding: .5em .8em; border-radius: 4px;
          margin: .6em 0; }
#banner.shown { display: block; }
.summary { display: flex; gap: 2.5em; flex-wrap: wrap; margin: 1em 0; }
.summary div b { display: block; font-size: 1.5em; }
.summary div span { color: var(--muted); font-size: .85em; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
th, td { text-align: right; padding: .3em .5em; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
th.name, td.name { text-align: left; font-family: ui-monospace, monospace; white-space: normal;
                   overflow-wrap: anywhere; min-width: 12em; }
td.bar { width: 35%; min-width: 10em; }
.stack { display: flex; height: 1em; border-radius: 3px; overflow: hidden; background: var(--line); }
.stack span { display: block; height: 100%; }
.s-waiting { background: var(--waiting); } .s-ready { background: var(--ready); }
.s-running { background: var(--running); } .s-finished { background: var(--finished); }
.s-failed { background: var(--failed); } .s-stale { background: var(--stale); }
.legend { font-size: .85em; color: var(--muted); margin: .4em 0; }
.legend i { display: inline-block; width: .8em; height: .8em; margin: 0 .25em 0 .9em; border-radius: 2px;
            vertical-align: -1px; }
tr.total td { font-weight: 600; }
.empty { color: var(--muted); font-style: italic; }
details { border: 1px solid var(--line); border-radius: 4px; margin: .4em 0; padding: .3em .6em; }
details summary { cursor: pointer; }
details summary .name { font-family: ui-monospace, monospace; }
details summary .err { color: #9b1c1c; }
pre { background: #f5f7fa; padding: .6em; overflow-x: auto; font-size: .85em; white-space: pre-wrap; }
footer { margin-top: 2em; color: var(--muted); font-size: .85em; }
footer a { color: #2a6f97; }
"""

SCRIPT = """
"use strict";
const STATES = ["waiting", "ready", "running", "finished", "failed", "stale"];
const meta = document.querySelector('meta[name="jug-refresh"]');
let refresh = Number(meta ? meta.content : 3) || 3;
const asked = Number(new URLSearchParams(location.search).get("refresh"));
if (asked > 0) { refresh = asked; }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") { node.className = v; } else { node.setAttribute(k, v); }
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
function fill(id, ...children) { const node = document.getElementById(id); node.replaceChildren(...children); }
function seconds(s) {
  if (s === null || s === undefined) { return "?"; }
  s = Math.round(s);
  if (s < 60) { return Math.max(s, 0) + "s"; }
  if (s < 3600) { return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s"; }
  if (s < 86400) { return Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m"; }
  return Math.floor(s / 86400) + "d" + String(Math.floor(s % 86400 / 3600)).padStart(2, "0") + "h";
}
function rate(r) {
  if (r === null || r === undefined) { return "?"; }
  if (r >= 1) { return r.toPrecision(3) + "/s"; }
  if (r * 60 >= 1) { return (r * 60).toPrecision(3) + "/min"; }
  return (r * 3600).toPrecision(3) + "/h";
}
function clock(t) { return t ? new Date(t * 1000).toLocaleString() : "?"; }
function duration(d) {
  if (d === null || d === undefined) { return "–"; }
  return d < 1 ? (d * 1000).toPrecision(3) + " ms" : d.toPrecision(3) + " s";
}
function bar(row) {
  const stack = el("div", {class: "stack", title: STATES.map(s => s + " " + row[s]).join(", ")});
  for (const s of STATES) {
    if (!row[s]) { continue; }
    const part = el("span", {class: "s-" + s, "data-state": s});
    part.style.width = (100 * row[s] / Math.max(row.total, 1)) + "%";
    stack.append(part);
  }
  return stack;
}
function nameRow(row, isTotal) {
  const d = row.durations;
  const tr = el("tr", isTotal ? {class: "total"} : {"data-name": row.name},
    el("td", {class: "name"}, row.name), el("td", {class: "bar"}, bar(row)),
    ...STATES.map(s => el("td", {class: "n-" + s}, row[s])), el("td", {}, row.total),
    el("td", {}, d ? duration(d.mean) : "–"), el("td", {}, d ? duration(d.median) : "–"),
    el("td", {}, d ? duration(d.max) : "–"));
  return tr;
}
function holders(rows, now, id, none) {
  if (!rows.length) { fill(id, el("p", {class: "empty"}, none)); return; }
  const head = el("tr", {}, ...["Task", "Hash", "Host", "PID", "Job", "Running for", "Heartbeat", "Lease"]
    .map((h, i) => el("th", i === 0 ? {class: "name"} : {}, h)));
  const body = rows.map(r => el("tr", {},
    el("td", {class: "name"}, r.name), el("td", {}, r.hash.slice(0, 12)), el("td", {}, r.host || "?"),
    el("td", {}, r.pid || "?"), el("td", {}, r.job ? (r.scheduler || "") + " " + r.job : "–"),
    el("td", {}, seconds(now - r.since)), el("td", {}, seconds(r.heartbeat_age) + " ago"),
    el("td", {}, seconds(r.lease))));
  fill(id, el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
}
function render(doc) {
  document.title = "jug: " + (doc.jugfile || "status");
  fill("jugfile", doc.jugfile || "?");
  fill("jugdir", doc.jugdir || "?");
  fill("generated", clock(doc.generated));
  const t = doc.totals;
  const pct = t.total ? (100 * t.finished / t.total) : 100;
  fill("s-finished", t.finished + " / " + t.total);
  fill("s-percent", pct.toFixed(1) + "%");
  fill("s-running", t.running);
  fill("s-failed", t.failed);
  fill("s-rate", rate(doc.rate.per_second));
  fill("s-eta", doc.all_finished ? "done" : seconds(doc.eta.seconds));
  const rows = doc.tasks.map(r => nameRow(r, false));
  rows.push(nameRow(Object.assign({name: "Total", durations: null}, t), true));
  fill("names", ...rows);
  fill("barrier", doc.complete ? "" :
    "The jugfile stops at a barrier() whose tasks are not all finished: tasks after it are not counted yet.");
  holders(doc.running, doc.generated, "running", "No task is running.");
  holders(doc.stale, doc.generated, "stale", "No stale lock.");
  if (!doc.failed.length) {
    fill("failed", el("p", {class: "empty"}, "No task is marked as failed."));
  } else {
    fill("failed", ...doc.failed.map(f => el("details", {"data-hash": f.hash},
      el("summary", {}, el("span", {class: "name"}, f.name), " (" + f.hash.slice(0, 12) + ") on " +
        (f.host || "?") + (f.pid ? ", pid " + f.pid : "") + " at " + clock(f.at) +
        (f.attempts > 1 ? " after " + f.attempts + " attempts" : "") + ": ",
        el("span", {class: "err"}, f.error || "(no error recorded)")),
      el("pre", {}, f.traceback || "(no traceback recorded)"))));
  }
  if (!doc.recent.length) {
    fill("recent", el("p", {class: "empty"}, "No finished task has a provenance record."));
  } else {
    const head = el("tr", {}, ...["Task", "Hash", "Ended", "Duration", "Host", "PID", "Job", "Peak memory"]
      .map((h, i) => el("th", i === 0 ? {class: "name"} : {}, h)));
    fill("recent", el("table", {}, el("thead", {}, head), el("tbody", {}, ...doc.recent.map(r => el("tr", {},
      el("td", {class: "name"}, r.name), el("td", {}, r.hash.slice(0, 12)), el("td", {}, clock(r.ended)),
      el("td", {}, duration(r.duration)), el("td", {}, r.host || "?"), el("td", {}, r.pid || "?"),
      el("td", {}, r.job ? (r.scheduler || "") + " " + r.job : "–"),
      el("td", {}, r.peak_rss ? (r.peak_rss / 1048576).toFixed(1) + " MiB" : "?"))))));
  }
  fill("error", doc.error || "");
  document.getElementById("banner").classList.toggle("shown", Boolean(doc.error));
  document.body.dataset.generated = String(doc.generated);
}
async function poll() {
  try {
    const response = await fetch("api/status", {cache: "no-store"});
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    render(await response.json());
    document.getElementById("live").classList.remove("lost");
  } catch (err) {
    document.getElementById("live").classList.add("lost");
    fill("error", "Cannot reach the jug webstatus server (" + err.message + "); retrying.");
    document.getElementById("banner").classList.add("shown");
  }
  setTimeout(poll, refresh * 1000);
}
poll();
"""

PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="jug-refresh" content="{refresh}">
<title>jug webstatus</title>
<style>{style}</style>
</head>
<body>
<h1><span class="live" id="live"></span>jug: <span class="jugfile" id="jugfile">…</span></h1>
<div class="meta">jugdir <span id="jugdir">…</span> · updated <span id="generated">…</span>,
every {refresh}s · read-only</div>
<div id="banner"><span id="error"></span></div>
<noscript><p>This page updates itself with JavaScript; without it, read
<a href="api/status">api/status</a> (JSON) or <a href="metrics">metrics</a>.</p></noscript>
<div class="summary">
  <div><b id="s-finished">…</b><span>finished</span></div>
  <div><b id="s-percent">…</b><span>done</span></div>
  <div><b id="s-running">…</b><span>running</span></div>
  <div><b id="s-failed">…</b><span>failed</span></div>
  <div><b id="s-rate">…</b><span>rate</span></div>
  <div><b id="s-eta">…</b><span>ETA</span></div>
</div>
<h2>Tasks</h2>
<div class="legend"><i class="s-waiting"></i>waiting<i class="s-ready"></i>ready<i class="s-running"></i>running<i
class="s-finished"></i>finished<i class="s-failed"></i>failed<i class="s-stale"></i>stale</div>
<table>
<thead><tr><th class="name">Task name</th><th></th><th>Waiting</th><th>Ready</th><th>Running</th>
<th>Finished</th><th>Failed</th><th>Stale</th><th>Total</th><th>Mean</th><th>Median</th><th>Max</th></tr></thead>
<tbody id="names"></tbody>
</table>
<p class="meta" id="barrier"></p>
<h2>Running</h2>
<div id="running"></div>
<h2>Failed</h2>
<div id="failed"></div>
<h2>Stale locks</h2>
<div id="stale"></div>
<h2>Recently finished</h2>
<div id="recent"></div>
<footer>Served by <code>jug webstatus</code>. Machine-readable: <a href="api/status">api/status</a>
(JSON, schema jug-status) · <a href="metrics">metrics</a> (Prometheus).</footer>
<script>{script}</script>
</body>
</html>
"""


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def csp() -> str:
    """The Content-Security-Policy of the page: its own inline style and script only."""
    return (
        "default-src 'none'; "
        f"script-src {_digest(SCRIPT)}; "
        f"style-src {_digest(STYLE)}; "
        "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def render(refresh: float) -> bytes:
    """The page, polling every *refresh* seconds (a number: nothing else is put in)."""
    return PAGE_TEMPLATE.format(refresh=f"{float(refresh):g}", style=STYLE, script=SCRIPT).encode()
