"""The functions of :mod:`jug.hooks`, under the original jug's module name for them."""

from __future__ import annotations

from . import jug_hook, register_hook, register_hook_once, reset_all_hooks

__all__ = ["jug_hook", "register_hook", "register_hook_once", "reset_all_hooks"]
