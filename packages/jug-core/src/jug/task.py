"""Tasks: the unit of work jug memoises and distributes.

Use :class:`TaskGenerator` as a decorator, or build :class:`Task` objects directly with
``Task(f, arg0, ..., kw=val)``. Indexing a task (``t[0]``, ``t[1:3]``) gives a
:class:`Tasklet`, a light-weight view computed from the task's result and never stored.
"""

from __future__ import annotations

import functools
import importlib
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from .errors import CorruptResultError, LockNotHeldError, ResultNotAvailableError, TaskHashError
from .hash import (
    _PICKLED_LEAVES,
    _single_leaf_hash,
    hash_one,
    hash_update,
    new_hash_object,
    task_hash,
)
from .store import Lock, LockOutcome, Store

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .execution.records import Provenance
    from .store import Record

__all__ = [
    "CachedFunction",
    "Task",
    "TaskGenerator",
    "Tasklet",
    "TaskletMixin",
    "alltasks",
    "base_tasks",
    "describe",
    "iteratetask",
    "recursive_dependencies",
    "return_tuple",
    "task_keys",
    "topological_sort",
    "value",
]

# Looked up once: reading a member of an Enum class costs ~0.1 us (Python 3.11), per task.
_LOCKED, _DONE = LockOutcome.LOCKED, LockOutcome.DONE

#: Every Task created since the jugfile started loading, in creation order.
alltasks: list[Task] = []


class _NoStore:
    """Placeholder for :attr:`Task.store` until a jugdir is chosen."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            "jug has no store yet: call jug.set_jugdir(JUGDIR) or jug.init(JUGFILE, JUGDIR) "
            "first (the jug command does this for you)"
        )

    def __bool__(self) -> bool:
        return False


class TaskletMixin:
    """What Tasks and Tasklets share: indexing makes Tasklets; they are never iterable."""

    __slots__ = ()

    def __getitem__(self, index: Any) -> Tasklet:
        base: Any = self
        if _contains_task(index):
            return Tasklet(base, _getitem_task(index))
        return Tasklet(base, _getitem(index))

    def __iter__(self) -> Iterator[Any]:
        # Without this, __getitem__ would make every task an endless iterable.
        raise TypeError(
            f"{type(self).__name__} objects are not iterable; "
            "use jug.iteratetask(task, n) to unpack a task returning n values"
        )

    def __jug_hash__(self) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def can_load(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def value(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


class Task(TaskletMixin):
    """A call ``f(*args, **kwargs)`` whose result jug memoises in its store.

    Parameters
    ----------
    f : callable
        A named function (not a lambda): its module and name enter the task's hash. A
        :func:`functools.partial` is unwrapped: ``Task(partial(f, a), b)`` is the task
        ``Task(f, a, b)``, as in the original jug.
    *args, **kwargs :
        The arguments. Tasks among them (also inside lists, tuples and dicts) are
        dependencies: their results are passed to *f* in their place.

    Attributes
    ----------
    name : str
        ``module.function``, which enters the hash.
    store : Store
        Where results live, shared by all tasks (set by :func:`jug.set_jugdir`).
    result :
        The result, loaded from the store on first access.
    """

    store: Store = _NoStore()  # type: ignore[assignment]

    __slots__ = (
        "f",
        "args",
        "kwargs",
        "name",
        "_hash",
        "_key",
        "_deps",
        "_result",
        "_loaded",
        "_can_load",
        "_lock",
    )

    def __init__(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        while isinstance(f, functools.partial):
            args = f.args + args
            kwargs = {**f.keywords, **kwargs}
            f = f.func
        if getattr(f, "__name__", "") == "<lambda>":
            raise ValueError(
                "jug.Task cannot use a lambda function: its name does not identify it. "
                "Define a named function with `def` instead."
            )
        if isinstance(f, TaskGenerator):
            f = f.f
        if not callable(f):
            raise TypeError(f"jug.Task needs a function to call, not {f!r} ({type(f).__name__})")
        self._setup(f, f"{f.__module__}.{f.__name__}", args, kwargs)

    def _setup(
        self, f: Callable[..., Any], name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        """Initialise a task of the checked function *f* named *name*."""
        self.f = f
        self.args = args
        self.kwargs = kwargs
        self.name = name
        self._hash: bytes | None = None
        self._key: str | None = None
        self._deps: tuple[Task | Tasklet, ...] | None = None
        self._result: Any = None
        self._loaded = False
        self._can_load = False
        self._lock: Lock | None = None
        alltasks.append(self)

    def __repr__(self) -> str:
        return f"Task({self.name}, hash={self.hash().decode()[:12]})"

    # -- identity -------------------------------------------------------------------------

    def hash(self) -> bytes:
        """Return the task's hash (hex, as ``bytes``, like the original jug).

        It is computed on first use and cached.
        """
        h = self._hash
        if h is None:
            h = self._hash = self.key().encode("ascii")
        return h

    def __jug_hash__(self) -> bytes:
        return self.hash()

    def key(self) -> str:
        """The task's hash as ``str``: the key its result and lock have in the store."""
        k = self._key
        if k is None:
            h = self._hash
            if h is None:
                try:
                    k = task_hash(self.name, self.args, self.kwargs)
                except (TypeError, AttributeError, pickle.PicklingError) as exc:
                    raise TaskHashError(
                        f"task {self.name}: cannot hash its arguments: {exc} (wrap such an "
                        "argument in jug.unsafe.NoHash, or give its type a __jug_hash__ method)"
                    ) from exc
            else:  # set from outside (a compound task takes its placeholder's hash)
                k = h.decode("ascii")
            self._key = k
        return k

    # -- dependencies ---------------------------------------------------------------------

    def dependencies(self) -> Iterator[Task | Tasklet]:
        """Iterate over the first-level dependencies (Tasks and Tasklets) of this task.

        See Also
        --------
        recursive_dependencies : all dependencies, recursively
        """
        deps = self._deps
        if deps is None:
            args = self.args
            if not self.kwargs and (
                (len(args) == 1 and type(args[0]) in _LEAF_TYPES)
                or all(type(a) in _LEAF_TYPES for a in args)
            ):
                deps = ()  # the common case of plain arguments, without the walk
            else:
                deps = tuple(_find_tasks([self.args, self.kwargs]))
            self._deps = deps  # arguments are fixed once the task exists
        return iter(deps)

    def can_run(self) -> bool:
        """Whether every dependency has its result available."""
        return all(dep.can_load() for dep in self.dependencies())

    # -- results --------------------------------------------------------------------------

    def run(self, force: bool = False, save: bool = True, debug_mode: bool = False) -> Any:
        """Compute the task (its dependencies must be available) and return its result.

        Parameters
        ----------
        force : bool, optional
            Run even if a result is already stored (default: False, load it instead).
        save : bool, optional
            Save the result to the store (default: True).
        debug_mode : bool, optional
            Also check that *f* did not modify its arguments in place (which would
            silently change the hash of the results that depend on them).

        Returns
        -------
        result : the return value of *f*
        """
        if not force and self._loaded:
            return self._result
        if not force and self.can_load():
            self.load()
            return self._result
        result = self._compute(debug_mode)
        if save:
            self.store.dump(result, self.key())
            self._can_load = True
        self._result = result
        self._loaded = True
        return result

    def _compute(self, debug_mode: bool = False) -> Any:
        """Call the function on the values of the arguments; return what it returns.

        The execution loop's way to run a task it holds the lock of (it saves the result
        itself, with the lock's release).
        """
        args: Any = self.args
        kwargs = self.kwargs
        # Arguments of plain types are their own values: most tasks of a large jugfile
        # skip the copies and the value() calls (~1 % of a trivial task, callgrind).
        if kwargs or not all(map(_LEAF_TYPES.__contains__, map(type, args))):
            args = [value(a) for a in args]
            kwargs = {k: value(v) for k, v in kwargs.items()}
        before = _hash_values(args, kwargs) if debug_mode else None
        running = _running.tasks
        running.append(self)
        try:
            result = self.f(*args, **kwargs)
        finally:
            running.pop()
        if before is not None and _hash_values(args, kwargs) != before:
            raise RuntimeError(
                f"task {self.name} modified its arguments in place; "
                "results depending on them would have wrong hashes"
            )
        return result

    def can_load(self, store: Store | None = None) -> bool:
        """Whether a result is available (loaded, or present in the store).

        Parameters
        ----------
        store : Store, optional
            Ask this store instead of :attr:`store` (nothing is remembered then).
        """
        if store is not None:
            return bool(store.can_load(self.key()))
        if self._loaded or self._can_load:
            return True
        self._can_load = self.store.can_load(self.key())
        return self._can_load

    def load(self) -> None:
        """Load the result from the store, even if already loaded.

        Raises
        ------
        ResultNotAvailableError
            If the store holds no result for this task; the message names the task and
            its state (waiting, ready, running, failed...).
        """
        key = self.key()
        try:
            self._result = self.store.load(key)
        except KeyError as exc:
            if isinstance(exc, ResultNotAvailableError):
                raise
            self._can_load = False
            raise _not_available(self, key) from None
        except CorruptResultError as exc:  # a damaged or refused result: say which task
            if exc.name is not None or exc.key != key:
                raise
            raise exc.with_name(self.name) from None
        self._loaded = True
        self._can_load = True

    def is_loaded(self) -> bool:
        """Whether the result is held in memory."""
        return self._loaded

    def unload(self) -> None:
        """Drop the in-memory result (it stays in the store)."""
        self._result = None
        self._loaded = False

    def unload_recursive(self) -> None:
        """Unload this task and all its recursive dependencies."""
        self.unload()
        for dep in recursive_dependencies(self):
            dep.unload()

    @property
    def result(self) -> Any:
        """The result, loaded from the store if needed."""
        if not self._loaded:
            self.load()
        return self._result

    def value(self) -> Any:
        """The result (alias of :attr:`result`)."""
        return self.result

    def invalidate(self) -> None:
        """Remove the stored result (``t.store.remove(t.hash())``) and unload it."""
        self.store.remove(self.key())
        self._can_load = False
        self.unload()

    def can_load_cached(self) -> bool:
        """Whether the result is known to be available, without asking the store."""
        return self._loaded or self._can_load

    def _set_loadable(self, loadable: bool = True) -> None:
        """Record a bulk existence check, saving a store round trip in :meth:`can_load`."""
        self._can_load = loadable

    # -- locks ----------------------------------------------------------------------------

    def lock(self) -> bool:
        """Try to take this task's lock (a lease); return whether it was taken.

        The only race-free pattern is ``if task.lock(): task.run()``.
        """
        lock = self.store.getlock(self.key())
        if lock.get():
            self._lock = lock
            return True
        return False

    def lock_unless_done(self) -> LockOutcome:
        """Take this task's lock unless its result is already stored.

        See :meth:`jug.store.Store.lock_unless_done` for the outcomes; with ``LOCKED``,
        this task object holds the lock.
        """
        key = self.key()
        lock = self.store.getlock(key)
        outcome = self.store.lock_unless_done(key, lock)
        if outcome is _LOCKED:
            self._lock = lock
        elif outcome is _DONE:
            self._can_load = True
        return outcome

    def unlock(self) -> None:
        """Release the lock.

        If this task object holds it, it is released as the owner. Otherwise (interactive
        use) the lock is removed whoever holds it.
        """
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        else:
            self.store.getlock(self.key()).force_release()

    def save_and_unlock(self, result: Any, record: Record | None = None) -> None:
        """Save *result* as this task's result and release its lock, which must be held.

        Used after ``run(save=False)`` by the execution loop: the store does both in as few
        round trips as it can (:meth:`jug.store.Store.dump_and_release`), and keeps
        *record* (the result's provenance, say) beside the result if it keeps records.

        Raises
        ------
        LockNotHeldError
            If this task object does not hold the lock.
        """
        if self._lock is None:
            raise LockNotHeldError(f"cannot save {self.name} and unlock it: its lock is not held")
        if record is None:
            self.store.dump_and_release(result, self.key(), self._lock)
        else:
            self.store.dump_and_release(result, self.key(), self._lock, record)
        self._lock = None
        self._result = result
        self._loaded = True
        self._can_load = True

    def refresh_lock(self) -> bool:
        """Renew the lease of a held lock; ``False`` if it was lost."""
        return self._lock.refresh() if self._lock is not None else False

    def fail(self, error: str = "") -> None:
        """Mark the task as failed, recording *error* (e.g. a traceback).

        Raises
        ------
        LockNotHeldError
            If this task object does not hold the lock.
        """
        if self._lock is None or not self._lock.fail(error):
            raise LockNotHeldError(f"cannot mark {self.name} as failed: its lock is not held")
        self._lock = None

    def is_locked(self) -> bool:
        """Whether the task *appears* locked (only :meth:`lock` is race-free)."""
        return self.store.getlock(self.key()).is_locked()

    def is_failed(self) -> bool:
        """Whether the task is marked as failed."""
        return self.store.getlock(self.key()).is_failed()

    def provenance(self) -> Provenance | None:
        """Where, when and how the stored result was computed, or ``None``.

        See :func:`jug.execution.records.provenance`: ``None`` if there is no result,
        or it was stored without a record (by the original Jug, or a store that keeps
        none).
        """
        from jug.execution.records import provenance

        return provenance(self, self.store)


def _not_available(task: Task, key: str) -> ResultNotAvailableError:
    """The error for loading *task*, whose result the store does not hold."""
    try:
        from .execution.states import task_state

        state: str = task_state(task).value
    except Exception:  # the store failing now must not hide what the user asked about
        state = "unknown"
    return ResultNotAvailableError(task.name, key, state)


def _hash_values(args: list[Any], kwargs: dict[str, Any]) -> bytes:
    digest: bytes = hash_update(new_hash_object(), [("a", args), ("k", kwargs)]).digest()
    return digest


def _contains_task(obj: Any) -> bool:
    if isinstance(obj, TaskletMixin):
        return True
    if isinstance(obj, slice):
        return any(_contains_task(x) for x in (obj.start, obj.stop, obj.step))
    if type(obj) is tuple:
        return any(_contains_task(x) for x in obj)
    return False


# Arguments of these exact types cannot hold tasks: skipped without further checks.
_LEAF_TYPES = frozenset({int, float, complex, str, bytes, bool, type(None)})


def _find_tasks(containers: list[Any]) -> Iterator[Task | Tasklet]:
    """Yield the Tasks and Tasklets found in *containers*, recursing into collections."""
    queue = list(containers)
    pop, extend = queue.pop, queue.extend
    while queue:
        obj = pop()
        t = type(obj)
        if t in _LEAF_TYPES:
            continue
        if t is tuple or t is list:
            extend(reversed(obj))
        elif t is dict:
            extend(reversed(list(obj.values())))
        elif isinstance(obj, (Task, Tasklet)):
            yield obj
        elif isinstance(obj, (list, tuple)):
            extend(reversed(obj))
        elif isinstance(obj, dict):
            extend(reversed(list(obj.values())))
        elif isinstance(obj, (str, bytes, int, float)):
            continue
        else:
            deps = getattr(obj, "__jug_dependencies__", None)
            if deps is not None and not isinstance(obj, type):
                extend(reversed(list(deps())))


class _getitem:
    """``obj[index]`` as a picklable callable, the ``f`` of the Tasklet ``t[index]``.

    Its hash must stay ``hash_one(('jug.task._getitem', index))``, as in the original.
    """

    __slots__ = ("slice",)

    def __init__(self, slice: Any) -> None:
        self.slice = slice

    def __call__(self, obj: Any) -> Any:
        return obj[self.slice]

    def __jug_hash__(self) -> bytes:
        return hash_one(("jug.task._getitem", self.slice))

    def __repr__(self) -> str:
        return f"jug.task._getitem({self.slice!r})"


class _getitem_task:
    """``obj[index]`` where the index contains Tasks (resolved when the value is needed)."""

    __slots__ = ("slice",)

    def __init__(self, slice: Any) -> None:
        self.slice = slice

    def __call__(self, obj: Any) -> Any:
        return obj[_value_index(self.slice)]

    def __jug_hash__(self) -> bytes:
        parts = self.slice
        if isinstance(parts, slice):
            parts = ("slice", parts.start, parts.stop, parts.step)
        M = new_hash_object()
        M.update(b"jug.task._getitem_task")
        hash_update(M, [("index", parts)])
        return M.hexdigest().encode("utf-8")

    def __jug_dependencies__(self) -> list[Any]:
        s = self.slice
        return [s.start, s.stop, s.step] if isinstance(s, slice) else [s]

    def __repr__(self) -> str:
        return f"jug.task._getitem_task({self.slice!r})"


def _value_index(index: Any) -> Any:
    if isinstance(index, slice):
        return slice(value(index.start), value(index.stop), value(index.step))
    return value(index)


class Tasklet(TaskletMixin):
    """A light-weight task: ``f(value(base))``, computed on demand and never stored.

    Indexing a Task or Tasklet creates one: ``t[0]`` is ``Tasklet(t, _getitem(0))``.

    Parameters
    ----------
    base : Task or Tasklet
        The task whose result *f* transforms.
    f : callable
        A cheap function of the base's result.
    """

    __slots__ = ("base", "f", "_hash")

    def __init__(self, base: Task | Tasklet, f: Callable[[Any], Any]) -> None:
        self.base = base
        self.f = f
        self._hash: bytes | None = None

    def __repr__(self) -> str:
        return f"Tasklet({self.base!r}, {self.f!r})"

    def __jug_hash__(self) -> bytes:
        if self._hash is None:
            M = new_hash_object()
            M.update(b"Tasklet")
            hash_update(M, [("base", self.base), ("f", _callable_for_hash(self.f))])
            self._hash = M.hexdigest().encode("utf-8")
        return self._hash

    def hash(self) -> bytes:
        """The Tasklet's hash (it identifies the value, though nothing is stored under it)."""
        return self.__jug_hash__()

    def dependencies(self) -> Iterator[Task | Tasklet]:
        """The base, plus any tasks used in the index."""
        yield self.base
        yield from _find_tasks([self.f])

    def can_load(self) -> bool:
        return self.base.can_load() and all(d.can_load() for d in _find_tasks([self.f]))

    def can_run(self) -> bool:
        return self.can_load()

    def value(self) -> Any:
        return self.f(value(self.base))

    @property
    def result(self) -> Any:
        return self.value()

    def unload(self) -> None:
        self.base.unload()

    def unload_recursive(self) -> None:
        self.base.unload_recursive()

    def is_loaded(self) -> bool:
        return self.base.is_loaded()


class _FunctionCode:
    """Stands in for a lambda or local function when hashing a Tasklet.

    Such functions cannot be pickled by reference, so their identity is taken from their
    code, constants, names, defaults and closure values. This is deterministic across
    runs (the original's treatment was not), though it depends on the Python bytecode.
    """

    __slots__ = ("f",)

    def __init__(self, f: Any) -> None:
        self.f = f

    def __jug_hash__(self) -> bytes:
        f = self.f
        code = f.__code__
        closure = tuple(c.cell_contents for c in (f.__closure__ or ()))
        M = new_hash_object()
        M.update(b"jug.function")
        hash_update(
            M,
            [
                ("name", f.__qualname__),
                ("code", (code.co_code, code.co_consts, code.co_names)),
                ("defaults", f.__defaults__ or ()),
                ("closure", closure),
                ("kwdefaults", f.__kwdefaults__ or {}),
            ],
        )
        return M.hexdigest().encode("utf-8")


def _callable_for_hash(f: Any) -> Any:
    """*f* itself when it pickles by reference (as the original hashed it), else its code."""
    code = getattr(f, "__code__", None)
    if code is None or hasattr(f, "__jug_hash__"):
        return f
    module = sys.modules.get(getattr(f, "__module__", "") or "")
    target: Any = module
    for part in getattr(f, "__qualname__", "<lambda>").split("."):
        target = getattr(target, part, None)
    if target is f:
        return f
    return _FunctionCode(f)


def _lookup(module: str, name: str) -> Any:
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


_new_task = object.__new__


class _Running(threading.local):
    """The tasks whose functions run in this thread, innermost last."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []


_running = _Running()


def _task_inside_task(generator: TaskGenerator, task: Task) -> RuntimeError:
    f = generator.f
    name = f"{getattr(f, '__module__', '?')}.{getattr(f, '__name__', '?')}"
    short = getattr(f, "__name__", "f")
    return RuntimeError(
        f"{name} was called while task {task.name} runs: calling a TaskGenerator creates a "
        f"task, it does not compute. To compute it here, call the function itself: "
        f"{short}.f(...); or create both tasks in the jugfile and pass one to the other."
    )


class TaskGenerator:
    """Decorator: calling the decorated function builds a :class:`Task` instead.

    ::

        @TaskGenerator
        def f(a, b): ...

        t = f(1, 2)   # Task(f, 1, 2): nothing runs until `jug execute`

    TaskGenerators pickle by reference (module and name), so they can be passed to other
    tasks or processes.
    """

    __slots__ = ("f", "__dict__")

    def __init__(self, f: Callable[..., Any]) -> None:
        self.f = f
        self.__doc__ = getattr(f, "__doc__", None)
        self.__name__ = getattr(f, "__name__", "TaskGenerator")
        self.__qualname__ = getattr(f, "__qualname__", self.__name__)
        self.__module__ = getattr(f, "__module__", __name__)
        self.__wrapped__ = f
        # The name of its tasks, once Task() would accept f (None: let Task() complain).
        self._task_name: str | None = None
        if (
            callable(f)
            and not isinstance(f, TaskGenerator)
            and getattr(f, "__name__", "<lambda>") != "<lambda>"
        ):
            self._task_name = f"{f.__module__}.{f.__name__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Task:
        if _running.tasks:
            raise _task_inside_task(self, _running.tasks[-1])
        # Task(self.f, ...) without re-checking f and re-formatting its name every call.
        name = self._task_name
        if name is None:
            return Task(self.f, *args, **kwargs)
        task = _new_task(Task)
        task._setup(self.f, name, args, kwargs)
        return task

    def __repr__(self) -> str:
        return f"TaskGenerator({self.f.__module__}.{self.f.__name__})"

    # The pickle of a TaskGenerator is the pair (module, name); kept as the original's.
    def __getstate__(self) -> tuple[str, str]:
        return (self.f.__module__, self.f.__name__)

    def __setstate__(self, state: tuple[str, str]) -> None:
        module, name = state
        target = _lookup(module, name)
        f = target.f if isinstance(target, TaskGenerator) else target
        self.__init__(f)  # type: ignore[misc]


class iteratetask:
    """Unpack a task that returns a sequence of known length *n*.

    ::

        a, b = iteratetask(task, 2)

    yields ``task[0], task[1], ..., task[n-1]`` (Tasklets).
    """

    __slots__ = ("base", "n")

    def __init__(self, base: Task | Tasklet, n: int) -> None:
        self.base = base
        self.n = n

    def __getitem__(self, i: int) -> Tasklet:
        if not -self.n <= i < self.n:
            raise IndexError(f"iteratetask index {i} out of range for length {self.n}")
        return self.base[i % self.n]

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Tasklet]:
        return (self.base[i] for i in range(self.n))


def value(elem: Any) -> Any:
    """Return *elem* with every Task and Tasklet in it replaced by its result.

    Recurses into lists, tuples and dicts; objects with a ``__jug_value__`` method are
    replaced by what it returns.

    Parameters
    ----------
    elem : object
        A Task, a Tasklet, a container of them, or anything else (returned as is).

    Returns
    -------
    value : object

    Raises
    ------
    jug.errors.ResultNotAvailableError
        If a task in *elem* has no stored result (the message names it and its state).
    """
    obj = elem
    t = type(obj)
    if t is Task:
        return obj.result
    if t is list:
        return [value(x) for x in obj]
    if t is tuple:
        return tuple(value(x) for x in obj)
    if t is dict:
        return {k: value(v) for k, v in obj.items()}
    jv = getattr(obj, "__jug_value__", None)
    if jv is not None and not isinstance(obj, type):
        return jv()
    if isinstance(obj, TaskletMixin):
        return obj.value()
    return obj


def _get_check(r: Any, i: int, n: int) -> Any:
    """Element *i* of *r*, a task's result that must have length *n* (see :func:`return_tuple`).

    Its name and module enter the hashes of tasks using these elements, as in the
    original jug (``jug.task._get_check``): keep both.
    """
    if len(r) != n:
        raise ValueError(f"expected a tuple of size {n}, got one of size {len(r)}")
    return r[i]


def return_tuple(n: int) -> Callable[[Callable[..., Any]], Callable[..., tuple[Tasklet, ...]]]:
    """Decorator: calls return *n* Tasklets, one per element of the task's tuple result.

    ::

        @return_tuple(2)
        @TaskGenerator
        def split(data):
            return data[::2], data[1::2]

        evens, odds = split(numbers)

    The task itself is the usual one (same name and hash). Element *i* is the Tasklet
    ``Tasklet(task, partial(_get_check, i=i, n=n))``, whose hash is the original jug's, so
    tasks using the elements keep the hashes they had there. Computing an element checks
    that the result has *n* elements. A plain function is made a TaskGenerator first.

    Parameters
    ----------
    n : int
        Length of the tuple the function returns.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"return_tuple(n) needs a positive integer n, not {n!r}")

    def decorator(f: Callable[..., Any]) -> Callable[..., tuple[Tasklet, ...]]:
        generator = f if isinstance(f, TaskGenerator) else TaskGenerator(f)

        @functools.wraps(generator.f)
        def call(*args: Any, **kwargs: Any) -> tuple[Tasklet, ...]:
            task = generator(*args, **kwargs)
            return tuple(Tasklet(task, functools.partial(_get_check, i=i, n=n)) for i in range(n))

        return call

    return decorator


def topological_sort(tasks: list[Task]) -> None:
    """Sort *tasks* in place so that no task comes before one it depends on.

    Dependencies missing from *tasks* are not added (:class:`jug.execution.TaskGraph`
    does that, and also orders by hash).
    """
    members = {id(t) for t in tasks}
    placed: set[int] = set()
    out: list[Task] = []

    def needs(t: Task) -> Iterator[Task]:
        return (d for dep in t.dependencies() for d in base_tasks(dep) if id(d) in members)

    for root in tasks:
        if id(root) in placed:
            continue
        # Iterative depth-first walk: long chains must not exhaust the recursion limit.
        placed.add(id(root))
        stack: list[tuple[Task, Iterator[Task]]] = [(root, needs(root))]
        while stack:
            t, deps = stack[-1]
            for d in deps:
                if id(d) not in placed:
                    placed.add(id(d))
                    stack.append((d, needs(d)))
                    break
            else:
                stack.pop()
                out.append(t)
    tasks[:] = out


def describe(t: Any) -> Any:
    """A description of how *t* is computed, recursively: for scripts and ``jug shell``.

    Parameters
    ----------
    t : object
        A Task, a Tasklet, or a list, tuple or dict holding them (anything else is
        returned as it is).

    Returns
    -------
    description : object
        For a Task, a dict with its ``name``, its ``args`` and ``kwargs`` (described in
        turn) when it has any, and ``meta``, what the store says about its result
        (:meth:`jug.store.Store.metadata`), when the store says something. A Tasklet is
        ``{"name": "tasklet", "operation": repr(f), "base": describe(base)}``.
    """
    if isinstance(t, Task):
        out: dict[str, Any] = {"name": t.name}
        if t.args:
            out["args"] = [describe(a) for a in t.args]
        if t.kwargs:
            out["kwargs"] = {k: describe(v) for k, v in t.kwargs.items()}
        metadata = getattr(t.store, "metadata", None)
        meta = metadata(t) if metadata is not None else None
        if meta is not None:
            out["meta"] = meta
        return out
    if isinstance(t, Tasklet):
        return {"name": "tasklet", "operation": repr(t.f), "base": describe(t.base)}
    if isinstance(t, list):
        return [describe(x) for x in t]
    if isinstance(t, tuple):
        return tuple(describe(x) for x in t)
    if isinstance(t, dict):
        return {k: describe(v) for k, v in t.items()}
    return t


def base_tasks(dep: Task | Tasklet) -> list[Task]:
    """The Tasks whose results *dep* needs: itself, or for a Tasklet its base's and those
    used in its index."""
    if isinstance(dep, Task):
        return [dep]
    out: list[Task] = []
    for d in dep.dependencies():
        out.extend(base_tasks(d))
    return out


def task_keys(tasks: Iterable[Task]) -> list[str]:
    """``[t.key() for t in tasks]``, computed faster for many tasks.

    Most tasks of a large jugfile call a function with one plain argument (a number or a
    string); their hashes are computed here in one loop, without a :meth:`Task.key` call
    each (a quarter of the time). Other tasks, and errors, are :meth:`Task.key`'s.

    Parameters
    ----------
    tasks : iterable of Task

    Returns
    -------
    keys : list of str
        The key of each task, in order (also cached in each task, as ``key()`` does).
    """
    leaves, single_leaf_hash = _PICKLED_LEAVES, _single_leaf_hash
    keys = []
    for t in tasks:
        k = t._key
        if k is None:
            args = t.args
            if (
                t._hash is None
                and not t.kwargs
                and type(args) is tuple
                and len(args) == 1
                and type(args[0]) in leaves
            ):
                k = t._key = single_leaf_hash(t.name, args[0])
            else:
                k = t.key()
        keys.append(k)
    return keys


def recursive_dependencies(
    t: Task | Tasklet, max_level: int | None = -1
) -> Iterator[Task | Tasklet]:
    """Iterate over all dependencies of *t*, recursively, each once.

    Parameters
    ----------
    t : Task or Tasklet
    max_level : int, optional
        Maximum depth; ``-1`` or ``None`` for no limit.
    """
    if max_level is None:
        max_level = -1
    seen: set[int] = set()
    frontier = [t]
    level = 0
    while frontier and (max_level < 0 or level < max_level):
        level += 1
        nxt = []
        for task in frontier:
            for dep in task.dependencies():
                if id(dep) not in seen:
                    seen.add(id(dep))
                    yield dep
                    nxt.append(dep)
        frontier = nxt


def CachedFunction(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Compute ``f(*args, **kwargs)`` now, memoised in the store like a task.

    The result is loaded if it is stored; otherwise it is computed under the task's lock
    (several workers loading the jugfile together compute it once) and saved.

    Parameters
    ----------
    f : function
        A named function (not a lambda).

    Returns
    -------
    value : the result of ``f(*args, **kwargs)``
    """
    t = Task(f, *args, **kwargs)
    while not t.can_load():
        if t.lock():
            try:
                if not t.can_load():
                    t.run()
            finally:
                t.unlock()
        else:
            # Another worker computes it; its lease guarantees we do not wait forever.
            time.sleep(0.1)
    return t.result
