"""Print (JSON) the public module-level API of the installed jug: module -> name -> what.

Run with the original Jug 2.7's interpreter to regenerate ``original_api.json``::

    bench/.venv-orig/bin/python tests/compat/data/api_inventory.py > tests/compat/data/original_api.json

and with ours by tests/compat/test_original_api.py. A module's public names are its
``__all__``, else the names not starting with ``_`` that are not imported from outside jug
(another package's modules, classes and functions). ``import jug`` is looked at first, in
a fresh interpreter, so that importing the submodules does not add attributes to it.
"""

import importlib
import inspect
import json
import pkgutil
import sys
import types

SKIP = ("jug.tests", "jug.internal", "jug.skills", "jug.backends.file_keepalive_monitor")


def params(obj):
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    out = []
    for p in sig.parameters.values():
        default = None if p.default is p.empty else repr(p.default)
        out.append([p.name, p.kind.name, p.default is not p.empty, default])
    return out


def describe(obj):
    if isinstance(obj, types.ModuleType):
        return {"kind": "module"}
    if inspect.isclass(obj):
        members = {}
        for k, v in vars(obj).items():
            if k.startswith("_") and k != "__init__":
                continue
            if isinstance(v, (staticmethod, classmethod)):
                members[k] = {"kind": type(v).__name__, "params": params(v.__func__)}
            elif inspect.isfunction(v):
                members[k] = {"kind": "method", "params": params(v)}
            elif isinstance(v, property):
                members[k] = {"kind": "property"}
            else:
                members[k] = {"kind": "attribute"}
        return {"kind": "class", "members": members}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return {"kind": "function", "params": params(obj)}
    if callable(obj):
        return {"kind": "callable"}
    return {"kind": "value", "type": type(obj).__name__}


def foreign(value):
    module = getattr(value, "__module__", None) or ""
    if isinstance(value, types.ModuleType):
        return not value.__name__.startswith("jug")
    if inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value):
        return not module.startswith("jug")
    return False


def public(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [k for k in vars(module) if not k.startswith("_")]
    out = {}
    for name in names:
        if name in ("annotations", "TYPE_CHECKING") or not hasattr(module, name):
            continue
        value = getattr(module, name)
        if getattr(module, "__all__", None) is None and foreign(value):
            continue
        out[name] = describe(value)
    return out


def main():
    import jug

    # What `import jug` gives, before the walk below imports every submodule (which adds
    # them as attributes): the names the original's jug/__init__.py made.
    top = {k: describe(v) for k, v in vars(jug).items() if not k.startswith("_")}
    result = {}
    names = ["jug"] + [m.name for m in pkgutil.walk_packages(jug.__path__, "jug.")]
    for name in sorted(set(names)):
        if name.startswith(SKIP):
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # an optional dependency (IPython, say)
            result[name] = {"__import_error__": {"kind": "error", "error": str(exc)}}
            continue
        result[name] = public(module)
    result["jug"] = {**top, **result["jug"]}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    print()


main()
