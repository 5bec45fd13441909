"""Fingerprints of task code: has a result's function changed since it was computed?

A task's hash covers its function's *name* and its arguments, never its code (so editing
a function does not make every result of it stale; that stays so). With
``jug execute --code-hash`` (``execute(..., code_hash=True)``, ``[execute] code-hash = on``),
each result's provenance record (:mod:`.records`) also carries a fingerprint of the code
that computed it, under the record field ``code``. ``jug status`` then counts, per task
name, the results whose code changed since, and ``jug invalidate --code-changed`` removes
them (and what was computed from them). Nothing is ever rerun by itself.

What a fingerprint covers (``docs/code-changes.md`` says it for users):

* the function's bytecode, its constants (nested functions, lambdas and comprehensions
  recursively), the names it uses (globals and attributes), the names of its arguments,
  its default values (keyword-only too) and the values in its closure;
* every function and class it refers to by a global name (or as ``module.name`` of such a
  module, or through a closure, a ``functools.wraps`` ``__wrapped__`` or a
  :class:`jug.TaskGenerator`), recursively, when they live in the user's own modules: the
  module of the task's function and the modules in its directory and below it, except
  anything under Python's installation prefixes or in a ``site-packages`` or
  ``dist-packages`` directory;
* the global values those functions read, when they are constants: numbers, strings,
  bytes, ``None``, booleans, and tuples, lists, sets and dicts of them. A library's
  function or class is covered by its qualified name; any other value (an array, an
  instance, a file) only by its type's name.

Not covered: line numbers, comments, blank lines, local variable names (renaming a local
variable does not change the fingerprint), code outside the user's modules (libraries, C
extensions, the standard library), data files the code reads, and environment variables.

A fingerprint is ``"TAG:HEX"``: *TAG* is Python's bytecode tag (``cpython-311``), *HEX*
32 hex digits of SHA-256 over a canonical encoding of the above. It holds no addresses,
``id()``, file paths or ``hash()`` values, so every process and machine running the same
code under the same Python version computes the same fingerprint. Bytecode differs
between Python versions: a result fingerprinted under another tag counts as *unknown*,
not as changed.

Each function's fingerprint is computed once per process (:class:`CodeFingerprints`
caches it), and records of one task function share one :class:`jug.store.RecordContext`,
so a store keeps it once per function and run, not once per result.
"""

from __future__ import annotations

import os
import sys
import types
from collections import Counter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping
    from typing import Any

    from jug.store import RecordContext, Store
    from jug.task import Task

__all__ = [
    "FIELD",
    "CodeChanges",
    "CodeFingerprints",
    "code_changes",
    "compare",
    "fingerprint",
]

#: The record field (a :class:`jug.store.RecordContext` field) holding the fingerprint.
FIELD = "code"

#: What :func:`compare` says of a result.
SAME, CHANGED, UNKNOWN = "same", "changed", "unknown"

# Depth beyond which a value is not encoded (a self-referencing list, say).
_MAX_DEPTH = 32


def _tag() -> str:
    return sys.implementation.cache_tag or f"{sys.implementation.name}-unknown"


class _Unencodable(Exception):
    """A value that has no canonical encoding (covered by its type's name only)."""


def _encode(value: Any, out: list[bytes], depth: int = 0) -> None:
    """Append a canonical, process-independent encoding of constant *value* to *out*."""
    if depth > _MAX_DEPTH:
        raise _Unencodable
    t = type(value)
    if value is None or value is Ellipsis:
        out.append(b"N" if value is None else b"E")
    elif t is bool:
        out.append(b"T" if value else b"F")
    elif t is int:
        text = str(value).encode()
        out.append(b"i%d:%s" % (len(text), text))
    elif t is float or t is complex:
        text = repr(value).encode()
        out.append(b"f%d:%s" % (len(text), text))
    elif t is str:
        data = value.encode("utf-8", "surrogatepass")
        out.append(b"s%d:%s" % (len(data), data))
    elif t is bytes:
        out.append(b"b%d:%s" % (len(value), value))
    elif t is tuple or t is list:
        out.append(b"(%d:" % len(value) if t is tuple else b"[%d:" % len(value))
        for item in value:
            _encode(item, out, depth + 1)
    elif t is frozenset or t is set:
        # Set order depends on hash randomisation: sort the items' encodings.
        parts = []
        for item in value:
            one: list[bytes] = []
            _encode(item, one, depth + 1)
            parts.append(b"".join(one))
        out.append(b"{%d:" % len(parts))
        out.extend(sorted(parts))
    elif t is dict:
        pairs = []
        for k, v in value.items():
            one = []
            _encode(k, one, depth + 1)
            _encode(v, one, depth + 1)
            pairs.append(b"".join(one))
        out.append(b"d%d:" % len(pairs))
        out.extend(sorted(pairs))
    elif t is types.CodeType:
        out.append(b"c" + _code_digest(value))
    elif t is slice:
        out.append(b"S")
        _encode((value.start, value.stop, value.step), out, depth + 1)
    else:
        raise _Unencodable


def _code_digest(code: types.CodeType) -> bytes:
    """The digest of one code object: bytecode, constants (nested code recursively), names,
    argument names and counts; not line numbers, file names or local variable names."""
    import hashlib

    nargs = code.co_argcount + code.co_kwonlyargcount
    nargs += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
    parts: list[bytes] = []
    _encode(
        (
            code.co_name,
            code.co_argcount,
            code.co_posonlyargcount,
            code.co_kwonlyargcount,
            code.co_flags,
            code.co_varnames[:nargs],
            code.co_names,
            len(code.co_freevars),
            len(code.co_cellvars),
        ),
        parts,
    )
    parts.append(b"b%d:" % len(code.co_code))
    parts.append(code.co_code)
    parts.append(b"K")
    for const in code.co_consts:
        try:
            _encode(const, parts)
        except _Unencodable:  # pragma: no cover - compilers emit only encodable constants
            parts.append(f"?{type(const).__qualname__}".encode())
    return hashlib.sha256(b"".join(parts)).digest()


def _all_names(code: types.CodeType) -> list[str]:
    """The names *code* and the code nested in it load (globals, attributes), in order."""
    names = list(code.co_names)
    for const in code.co_consts:
        if type(const) is types.CodeType:
            names.extend(_all_names(const))
    return names


class _Scope:
    """Decides which modules are the user's own, for one task function's directory."""

    def __init__(self, root: str | None) -> None:
        self.root = root
        self._own: dict[str, bool] = {}
        self._prefixes = _install_prefixes()

    def owns(self, module_name: str | None) -> bool:
        """Whether the module named *module_name* is one of the user's own."""
        if self.root is None or not module_name:
            return False
        found = self._own.get(module_name)
        if found is None:
            found = self._own[module_name] = _module_dir_under(
                sys.modules.get(module_name), self.root, self._prefixes
            )
        return found


def _install_prefixes() -> tuple[str, ...]:
    """Python's installation directories (with a trailing separator): not the user's."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return tuple(os.path.join(os.path.realpath(p), "") for p in prefixes if p)


def _module_file(module: Any) -> str | None:
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path:
        return None
    return os.path.realpath(path)


def _excluded(path: str, prefixes: tuple[str, ...]) -> bool:
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return any(path.startswith(p) for p in prefixes)


def _module_dir_under(module: Any, root: str, prefixes: tuple[str, ...]) -> bool:
    path = _module_file(module)
    if path is None or _excluded(path, prefixes):
        return False
    return path.startswith(root)


def _root_of(function: Any) -> str | None:
    """The directory of *function*'s module (with a trailing separator), or None if that
    module is not the user's (a library's, the standard library's, or built in)."""
    module = sys.modules.get(getattr(function, "__module__", None) or "")
    path = _module_file(module)
    if path is None:
        return None
    if _excluded(path, _install_prefixes()):
        return None
    return os.path.join(os.path.dirname(path), "")


def _unwrap(obj: Any) -> Any:
    """The plain function behind a TaskGenerator, a bound or static method, or a
    ``functools.wraps`` wrapper that is not itself a function."""
    from jug.task import TaskGenerator

    for _ in range(_MAX_DEPTH):
        if isinstance(obj, types.FunctionType):
            return obj
        if isinstance(obj, TaskGenerator):
            obj = obj.f
        elif isinstance(obj, (types.MethodType, staticmethod, classmethod)):
            obj = obj.__func__
        elif getattr(obj, "__wrapped__", None) is not None:
            obj = obj.__wrapped__
        else:
            return obj
    return obj


def _qualified(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or "?"
    return f"{module}.{name}"


class _Walk:
    """One fingerprint: the function, then everything of the user's it reaches."""

    def __init__(self, scope: _Scope) -> None:
        self.scope = scope
        self.items: list[bytes] = []
        self.seen: set[int] = set()  # ids, only to visit each object once (never hashed)
        self.todo: list[Any] = []

    def run(self, function: Any) -> bytes:
        import hashlib

        self.visit(function, force=True)
        while self.todo:
            obj = self.todo.pop()
            if isinstance(obj, type):
                self._class(obj)
            else:
                self._function(obj)
        # Sorted: the fingerprint does not depend on the order things were reached in.
        digest = hashlib.sha256()
        for item in sorted(self.items):
            digest.update(b"%d:" % len(item))
            digest.update(item)
        return digest.digest()

    def visit(self, obj: Any, force: bool = False) -> bool:
        """Queue *obj* if it is a function or class of the user's; return whether it was
        one (queued now or before)."""
        obj = _unwrap(obj)
        if isinstance(obj, types.FunctionType) or isinstance(obj, type):
            if not force and not self.scope.owns(getattr(obj, "__module__", None)):
                return False
            if id(obj) not in self.seen:
                self.seen.add(id(obj))
                self.todo.append(obj)
            return True
        return False

    def value(self, label: str, value: Any) -> None:
        """A value the code reads (a global, a closure cell, a default)."""
        if self.visit(value):
            return
        if isinstance(value, types.ModuleType):
            return
        parts = [b"v", label.encode(), b"="]
        target = _unwrap(value)
        if isinstance(target, (types.FunctionType, types.BuiltinFunctionType, type)):
            # A library's function or class: which one it is (``agg = numpy.mean``).
            parts[-1] = f"->{_qualified(target)}".encode()
        else:
            try:
                _encode(value, parts)
            except _Unencodable:
                parts[-1] = f":{_qualified(type(value))}".encode()
        self.items.append(b"".join(parts))

    def _function(self, f: types.FunctionType) -> None:
        name = _qualified(f)
        code = f.__code__
        self.items.append(b"f" + name.encode() + b"=" + _code_digest(code))
        for i, default in enumerate(f.__defaults__ or ()):
            self.value(f"{name}/default{i}", default)
        for key, default in sorted((f.__kwdefaults__ or {}).items()):
            self.value(f"{name}/default:{key}", default)
        for i, cell in enumerate(f.__closure__ or ()):
            try:
                content = cell.cell_contents
            except ValueError:  # an empty cell
                self.items.append(f"v{name}/cell{i}:empty".encode())
                continue
            self.value(f"{name}/cell{i}", content)
        if not self.scope.owns(f.__module__):
            return  # a library's task function: its own code only
        globals_ = f.__globals__
        names = _all_names(code)
        for global_name in dict.fromkeys(names):
            if global_name not in globals_:
                continue
            found = globals_[global_name]
            if isinstance(found, types.ModuleType):
                if self.scope.owns(found.__name__):
                    # helpers.compute(...): the names used, looked up in that module.
                    for attr in dict.fromkeys(names):
                        if attr in found.__dict__:
                            self.value(f"{found.__name__}.{attr}", found.__dict__[attr])
                continue
            self.value(f"{f.__module__}.{global_name}", found)

    def _class(self, cls: type) -> None:
        name = _qualified(cls)
        bases = ",".join(_qualified(b) for b in cls.__bases__)
        self.items.append(f"c{name}({bases})".encode())
        for base in cls.__bases__:
            self.visit(base)
        for attr, member in sorted(vars(cls).items()):
            if attr in _CLASS_SKIPPED:
                continue
            if isinstance(member, property):
                for part, accessor in (
                    ("get", member.fget),
                    ("set", member.fset),
                    ("del", member.fdel),
                ):
                    if accessor is not None:
                        self.value(f"{name}.{attr}/{part}", accessor)
                continue
            unwrapped = _unwrap(member)
            if isinstance(unwrapped, types.FunctionType):
                # Methods count whatever module they were defined in.
                self.visit(unwrapped, force=True)
                self.items.append(f"m{name}.{attr}={_qualified(unwrapped)}".encode())
            else:
                self.value(f"{name}.{attr}", member)


# Class attributes that are not code or data of the user's: bookkeeping, and the line
# number Python 3.13 keeps (moving a class is no change).
_CLASS_SKIPPED = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__module__",
        "__qualname__",
        "__doc__",
        "__firstlineno__",
        "__static_attributes__",
    }
)


def fingerprint(function: Callable[..., Any]) -> str:
    """The fingerprint of *function*'s code: ``"TAG:HEX"`` (see the module docstring).

    Parameters
    ----------
    function : callable
        A task's function (a :class:`jug.TaskGenerator` or a decorated function is
        unwrapped). A callable with no Python code (a C function, a class) is covered by
        its name only.

    Returns
    -------
    str
        The same in every process running the same code under the same Python version.
    """
    target = _unwrap(function)
    if isinstance(target, types.FunctionType):
        digest = _Walk(_Scope(_root_of(target))).run(target)
    else:
        import hashlib

        digest = hashlib.sha256(b"o" + _qualified(target).encode()).digest()
    return f"{_tag()}:{digest[:16].hex()}"


def compare(recorded: Any, current: str | None) -> str:
    """:data:`SAME`, :data:`CHANGED` or :data:`UNKNOWN`: *recorded* (a record's ``code``
    field, or None) against the *current* fingerprint of the task's function.

    Unknown: no fingerprint recorded (a run without ``--code-hash``, the original Jug, a
    store keeping no records), no current one, or one made under another Python version.
    """
    if not isinstance(recorded, str) or current is None:
        return UNKNOWN
    if recorded == current:
        return SAME
    tag = current.partition(":")[0]
    return CHANGED if recorded.partition(":")[0] == tag else UNKNOWN


class CodeFingerprints:
    """Fingerprints of task functions, each computed once (by function object).

    Parameters
    ----------
    context : jug.store.RecordContext, optional
        The run's provenance context (:class:`~jug.execution.records.ProvenanceRecorder`):
        :meth:`context_of` adds each function's fingerprint to it.
    """

    def __init__(self, context: RecordContext | None = None) -> None:
        self._base = context
        self._fingerprints: dict[Any, str] = {}
        #: Task function → its record context (made on first use): ``contexts[task.f]``
        #: is what the execution loop asks per task (a dict lookup, no Python call).
        self.contexts: dict[Any, RecordContext] = _Contexts(self._context)

    def of(self, task: Task) -> str:
        """The fingerprint of *task*'s function."""
        f = task.f
        found = self._fingerprints.get(f)
        if found is None:
            found = self._fingerprints[f] = fingerprint(f)
        return found

    def of_key(self, tasks: Collection[Task]) -> Callable[[str], str | None]:
        """A function of a task hash giving the fingerprint of that task's function (None
        for a hash not among *tasks*, a collection); fingerprints are computed when first
        asked for."""
        by_key: dict[str, Task] = {}

        fingerprints = self._fingerprints

        def of_key(key: str) -> str | None:
            if not by_key:  # made when first asked: most projects never have fingerprints
                by_key.update((t.key(), t) for t in tasks if hasattr(t, "f") and hasattr(t, "args"))
            t = by_key.get(key)
            if t is None:
                return None
            found = fingerprints.get(t.f)
            return found if found is not None else self.of(t)

        return of_key

    def context_of(self, task: Task) -> RecordContext:
        """The record context for *task*'s result: the run's fields plus ``code``, one
        context object per task function (so a store keeps it once)."""
        return self.contexts[task.f]

    def _context(self, f: Any) -> RecordContext:
        from jug.store import RecordContext

        fields = dict(self._base.fields) if self._base is not None else {}
        found = self._fingerprints.get(f)
        if found is None:
            found = self._fingerprints[f] = fingerprint(f)
        fields[FIELD] = found
        return RecordContext(fields)


class _Contexts(dict):
    """A dict that makes a missing task function's context (no Python call per hit)."""

    def __init__(self, make: Callable[[Any], RecordContext]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, f: Any) -> RecordContext:
        context = self[f] = self._make(f)
        return context


class CodeChanges:
    """How the stored results of a project compare with the current code.

    Attributes
    ----------
    counts : dict
        Task name → ``Counter`` of :data:`SAME`, :data:`CHANGED` and :data:`UNKNOWN`
        (finished tasks only), sorted by name.
    changed : list of str
        The hashes of the results whose code changed.
    fingerprinted : int
        Results that carry a fingerprint (0: the project never ran with ``--code-hash``).
    """

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.changed: list[str] = []
        self.fingerprinted = 0

    def __repr__(self) -> str:
        shown = {name: dict(c) for name, c in self.counts.items()}
        return f"CodeChanges(changed={len(self.changed)}, counts={shown!r})"

    def total(self, kind: str) -> int:
        """Results of every name that are *kind* (``"changed"``, ...)."""
        return sum(c[kind] for c in self.counts.values())


def code_changes(
    tasks: Iterable[Task],
    store: Store,
    fingerprints: CodeFingerprints | None = None,
    finished: Mapping[str, int] | None = None,
) -> CodeChanges:
    """Compare the fingerprints recorded with the stored results of *tasks* against their
    functions' code now.

    Two bulk queries to the store (results, records), or only the records if *finished*
    is given. Tasks whose function is the same object share one fingerprint computation,
    made only if some result has a fingerprint.

    Parameters
    ----------
    tasks : iterable of Task
    store : Store
    fingerprints : CodeFingerprints, optional
        A cache to reuse.
    finished : mapping, optional
        Task name → number of finished tasks, when the caller knows it (``jug status``
        does): the results are then not asked for again, and the results of a name that
        have no fingerprint are counted as unknown from it (:attr:`CodeChanges.changed`
        then lists the changed results that have records).

    Returns
    -------
    CodeChanges
    """
    from jug.task import Task

    fingerprints = fingerprints if fingerprints is not None else CodeFingerprints()
    by_key: dict[str, Task] = {}
    for t in tasks:
        if isinstance(t, Task):
            by_key.setdefault(t.key(), t)
    out = CodeChanges()
    if finished is None:
        done: Iterable[str] = store.can_load_many(list(by_key))
    else:
        done = list(by_key)  # a record is removed with its result: records say enough
    records: Mapping[str, Mapping[str, Any]] = store.records(done) if store.keeps_records else {}
    if finished is not None:
        done = records
    for key in sorted(done, key=lambda k: by_key[k].name):
        t = by_key[key]
        record = records.get(key)
        recorded = record.get(FIELD) if record is not None else None
        if isinstance(recorded, str):
            out.fingerprinted += 1
            kind = compare(recorded, fingerprints.of(t))
        else:
            kind = UNKNOWN
        counter = out.counts.get(t.name)
        if counter is None:
            counter = out.counts[t.name] = Counter({SAME: 0, CHANGED: 0, UNKNOWN: 0})
        counter[kind] += 1
        if kind == CHANGED:
            out.changed.append(key)
    if finished is not None:
        for name, n in finished.items():
            counter = out.counts.get(name)
            if counter is None:
                if not n:
                    continue
                counter = out.counts[name] = Counter({SAME: 0, CHANGED: 0, UNKNOWN: 0})
            counter[UNKNOWN] = max(0, n - counter[SAME] - counter[CHANGED])
    out.counts = dict(sorted(out.counts.items()))
    return out
