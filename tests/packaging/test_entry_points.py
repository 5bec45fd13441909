"""Built-in plugins register through the same entry-point groups as third-party ones."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points


def _names(group: str) -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=group)}


def test_backends_group():
    found = _names("jug.backends")
    assert {"file", "dict_store", "dict"} <= found.keys(), found
    assert found["dict"] == found["dict_store"]


def test_subcommands_group():
    found = _names("jug.subcommands")
    assert {"execute", "status", "check", "sleep-until"} <= found.keys(), found


def test_every_registered_entry_point_loads():
    """Each built-in entry point names an importable object (no dangling registration)."""
    for group in ("jug.backends", "jug.subcommands"):
        for ep in entry_points(group=group):
            if ep.name == "redis" or (ep.dist is not None and ep.dist.name == "jug-shell"):
                continue  # need optional packages (redis, IPython); tested where they live
            assert ep.load() is not None, f"{group}:{ep.name}"


def test_console_script(jug_script):
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    # console_main, not main: only the command may prepare its process for exiting.
    assert scripts.get("jug") == "jug.jug:console_main" and jug_script.exists()
    # jug-execute, as the original shipped it.
    assert scripts.get("jug-execute") == "jug.jug:console_execute"
    assert (jug_script.parent / "jug-execute").exists()


def test_console_main_returns_the_exit_code(monkeypatch, capsys):
    import gc

    from jug.jug import console_main

    monkeypatch.setattr(sys, "argv", ["jug", "no-such-subcommand"])
    monkeypatch.setattr(gc, "freeze", lambda: None)  # this process goes on
    assert console_main() == 2
    assert "no-such-subcommand" in capsys.readouterr().err
