"""Map/reduce over many small inputs, grouped into tasks of a useful size.

A task should take seconds, not microseconds. These helpers group the elements of a
sequence into *blocks*, one task per block, and reduce the results with a tree of tasks::

    from jug import mapreduce

    doubled = mapreduce.map(double, numbers, map_step=32)    # 1 task per 32 numbers
    total = mapreduce.mapreduce(add, double, numbers)        # map then reduce, as tasks
    pairs = mapreduce.currymap(distance, [(x, ref) for x in xs])

The tasks are built exactly as Jug 2.x built them (same functions, same grouping, same
arguments), so they have the same hashes and results computed by either are found by the
other. Their names are ``jug.mapreduce._jug_map``, ``_jug_map_curry``, ``_jug_map_reduce``
and ``_jug_reduce``.
"""

from __future__ import annotations

import builtins
import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from jug.hash import hash_one
from jug.task import Task, TaskGenerator, Tasklet, value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["block_access", "block_access_slice", "currymap", "map", "mapreduce", "reduce"]


# -- the functions the tasks run ------------------------------------------------------------
# Their module and names enter the hashes of the tasks: never rename them.


def _plain(f: Any) -> Any:
    """The function to call: a TaskGenerator (kept as such for hashing) stands for its f."""
    return f.f if isinstance(f, TaskGenerator) else f


def _jug_map(mapper: Callable[[Any], Any], block: Iterable[Any]) -> list[Any]:
    f = _plain(mapper)
    return [f(x) for x in block]


def _jug_map_curry(mapper: Callable[..., Any], block: Iterable[Sequence[Any]]) -> list[Any]:
    f = _plain(mapper)
    return [f(*args) for args in block]


def _jug_map_reduce(
    reducer: Callable[[Any, Any], Any],
    mapper: Callable[[Any], Any] | None,
    block: Iterable[Any],
) -> Any:
    values = block if mapper is None else builtins.map(_plain(mapper), block)
    return functools.reduce(_plain(reducer), values)


def _jug_reduce(reducer: Callable[[Any, Any], Any], inputs: Iterable[Any]) -> Any:
    return functools.reduce(_plain(reducer), inputs)


class _GeneratorFunction:
    """A TaskGenerator's function, hashed as Jug 2.x hashed it inside map tasks.

    Jug 2.x fed ``hash_one(task_generator)`` for the mapper of ``map``/``currymap`` (by
    attaching it to the function object, which then changed the hash of *every* later use
    of that function). The wrapper gives the same hash without touching the function.
    """

    __slots__ = ("f", "_hash")

    def __init__(self, generator: TaskGenerator) -> None:
        self.f = generator.f
        self._hash = hash_one(generator)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.f(*args, **kwargs)

    def __jug_hash__(self) -> bytes:
        return self._hash

    def __repr__(self) -> str:
        return f"{self.f.__module__}.{self.f.__name__}"


def _get_function(f: Any) -> Any:
    return _GeneratorFunction(f) if isinstance(f, TaskGenerator) else f


# -- grouping ---------------------------------------------------------------------------------


def _as_sequence(inputs: Any) -> Any:
    """*inputs* itself if it can be measured and sliced, else a list of its elements."""
    if isinstance(inputs, (Task, Tasklet)):
        raise TypeError(
            "jug.mapreduce needs the inputs themselves, not a Task: its length is unknown "
            "until it has run (use jug.bvalue(task) to wait for it, or map over a list)"
        )
    if isinstance(inputs, (block_access, block_access_slice)):
        return inputs
    if hasattr(inputs, "__len__") and hasattr(inputs, "__getitem__"):
        if not isinstance(inputs, Mapping):
            return inputs
    return list(inputs)


def _break_up(sequence: Any, step: int) -> Iterator[Any]:
    """Consecutive slices of *step* elements (slices of the sequence's own type, as 2.x)."""
    for start in range(0, len(sequence), step):
        yield sequence[start : start + step]


def _check_step(name: str, step: Any, minimum: int) -> int:
    try:
        step = operator.index(step)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(step).__name__}") from None
    if step < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {step}")
    return step


def _reduce_tree(reducer: Any, tasks: list[Task], reduce_step: int) -> Task:
    # Level by level, reduce_step results per task: the shape (and so the hashes) of 2.x.
    while len(tasks) > 1:
        tasks = [
            Task(_jug_reduce, reducer, tasks[i : i + reduce_step])
            for i in range(0, len(tasks), reduce_step)
        ]
    return tasks[0]


def _empty_reduction() -> Task:
    # What Jug 2.x built for an empty reduction: identity([]), whose value is [].
    from jug.utils import identity

    return identity([])


# -- the public functions -----------------------------------------------------------------------


def mapreduce(
    reducer: Callable[[Any, Any], Any],
    mapper: Callable[[Any], Any] | None,
    inputs: Iterable[Any],
    map_step: int = 4,
    reduce_step: int = 8,
) -> Task:
    """A task computing ``functools.reduce(reducer, map(mapper, inputs))``, in parallel.

    Each task maps and reduces *map_step* inputs; a tree of tasks then combines
    *reduce_step* partial results at a time. The order of the reductions is not left to
    right, so *reducer* must be associative (and should not modify its arguments).

    Parameters
    ----------
    reducer : function ``(Y, Y) -> Y``
        Associative; a plain function or a TaskGenerator.
    mapper : function ``X -> Y``, or None
        None reduces the inputs themselves.
    inputs : sequence (or iterable) of X
        Values or Tasks.
    map_step : int, optional
        Inputs per task (default: 4).
    reduce_step : int, optional
        Partial results combined per reduction task (default: 8; at least 2).

    Returns
    -------
    task : jug.Task
        Its value is the reduction. For empty *inputs*, a task whose value is ``[]``.
    """
    map_step = _check_step("map_step", map_step, 1)
    reduce_step = _check_step("reduce_step", reduce_step, 2)
    sequence = _as_sequence(inputs)
    if not len(sequence):
        return _empty_reduction()
    tasks = [
        Task(_jug_map_reduce, reducer, mapper, block) for block in _break_up(sequence, map_step)
    ]
    return _reduce_tree(reducer, tasks, reduce_step)


def reduce(reducer: Callable[[Any, Any], Any], inputs: Iterable[Any], reduce_step: int = 8) -> Task:
    """A task computing ``functools.reduce(reducer, inputs)`` with a tree of tasks.

    Parameters
    ----------
    reducer : function ``(Y, Y) -> Y``
        Associative; a plain function or a TaskGenerator.
    inputs : sequence (or iterable) of Y
        Values or Tasks.
    reduce_step : int, optional
        Partial results combined per reduction task (default: 8; at least 2).

    Returns
    -------
    task : jug.Task
    """
    return mapreduce(reducer, None, inputs, reduce_step=reduce_step)


def map(mapper: Callable[[Any], Any], sequence: Iterable[Any], map_step: int = 4) -> block_access:
    """``[mapper(x) for x in sequence]`` with one task per *map_step* elements.

    Parameters
    ----------
    mapper : function ``A -> B``
        A plain function or a TaskGenerator.
    sequence : sequence (or iterable) of A
        Values or Tasks; also the result of another :func:`map`.
    map_step : int, optional
        Elements per task (default: 4). Choose it so that a task takes a few seconds.

    Returns
    -------
    results : block_access
        Behaves like the list of results: ``len``, indexing (a Tasklet), slicing (a view
        loading only the blocks it covers), iteration; pass it to other tasks as an
        argument or get the list with :func:`jug.value`.

    See Also
    --------
    currymap : for a mapper taking several arguments
    mapreduce : map, then reduce
    """
    map_step = _check_step("map_step", map_step, 1)
    f = _get_function(mapper)
    seq = _as_sequence(sequence)
    blocks = [Task(_jug_map, f, block) for block in _break_up(seq, map_step)]
    return block_access(blocks, map_step, len(seq))


def currymap(
    mapper: Callable[..., Any], sequence: Iterable[Sequence[Any]], map_step: int = 4
) -> list[Tasklet]:
    """``[mapper(*args) for args in sequence]`` with one task per *map_step* calls.

    Parameters
    ----------
    mapper : function
        A plain function or a TaskGenerator, called as ``mapper(*args)``.
    sequence : sequence of tuples
        The argument tuples.
    map_step : int, optional
        Calls per task (default: 4).

    Returns
    -------
    results : list of Tasklet
        One per call, each taken from its block's result.
    """
    map_step = _check_step("map_step", map_step, 1)
    f = _get_function(mapper)
    seq = _as_sequence(sequence)
    blocks = [Task(_jug_map_curry, f, block) for block in _break_up(seq, map_step)]
    return [blocks[i // map_step][i % map_step] for i in range(len(seq))]


# -- the result of map ---------------------------------------------------------------------------


class block_access:
    """The result of :func:`map`: a sequence of results stored in blocks (one per task).

    Indexing gives a Tasklet of the block holding the element; slicing gives a
    :class:`block_access_slice`. As an argument of a task, it is replaced by the list of
    all results (and the task waits for every block); ``jug.value`` gives that list too.

    Its hash is computed from the blocks' hashes (not from the elements again) and
    matches Jug 2.x's.
    """

    __slots__ = ("blocks", "block_size", "len", "_hvalue")

    def __init__(self, blocks: list[Task], block_size: int, len: int) -> None:
        self.blocks = blocks
        self.block_size = block_size
        self.len = len
        self._hvalue: bytes | None = None

    def __repr__(self) -> str:
        return (
            f"jug.mapreduce.map result ({self.len} elements in {builtins.len(self.blocks)} tasks)"
        )

    def __len__(self) -> int:
        return self.len

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return block_access_slice(self, index)
        i = _element_index(index, self.len)
        return self.blocks[i // self.block_size][i % self.block_size]

    def __iter__(self) -> Iterator[Tasklet]:
        for i in range(self.len):
            yield self[i]

    def __jug_hash__(self) -> bytes:
        if self._hvalue is None:
            self._hvalue = hash_one(
                {
                    "type": "map-access",
                    "len": self.len,
                    "blocks": self.blocks,
                    "block_size": self.block_size,
                }
            )
        return self._hvalue

    def hash(self) -> bytes:
        """The hash (hex bytes) that identifies this sequence of results."""
        return self.__jug_hash__()

    def __jug_dependencies__(self) -> list[Task]:
        return list(self.blocks)

    def dependencies(self) -> Iterator[Task]:
        """The block tasks."""
        return iter(self.blocks)

    def __jug_value__(self) -> list[Any]:
        return [x for block in self.blocks for x in value(block)]

    def value(self) -> list[Any]:
        """The list of results (loads every block)."""
        return self.__jug_value__()

    def can_load(self) -> bool:
        """Whether every block has its result."""
        return all(b.can_load() for b in self.blocks)

    def unload(self) -> None:
        """Drop the blocks' results from memory."""
        for b in self.blocks:
            b.unload()

    def unload_recursive(self) -> None:
        for b in self.blocks:
            b.unload_recursive()


def _element_index(index: Any, length: int) -> int:
    if isinstance(index, (Task, Tasklet)):
        raise TypeError("the result of jug.mapreduce.map cannot be indexed by a Task")
    try:
        i = operator.index(index)
    except TypeError:
        raise TypeError(f"indices must be integers or slices, not {type(index).__name__}") from None
    if i < 0:
        i += length
    if not 0 <= i < length:
        raise IndexError(f"index {index} out of range for {length} elements")
    return i


class block_access_slice:
    """A slice of a :func:`map` result: a view that needs (and loads) only its blocks.

    Slices of slices stay views of the same :class:`block_access`.
    """

    __slots__ = ("base", "start", "stop", "stride", "_hvalue")

    base: block_access
    start: int
    stop: int
    stride: int

    def __init__(self, access: block_access | block_access_slice, orig: slice) -> None:
        start, stop, stride = orig.indices(len(access))
        if isinstance(access, block_access_slice):
            # Compose with the outer slice: indices stay relative to the base sequence.
            self.base = access.base
            self.start = access.start + start * access.stride
            self.stop = access.start + stop * access.stride
            self.stride = access.stride * stride
        else:
            self.base = access
            self.start, self.stop, self.stride = start, stop, stride
        self._hvalue: bytes | None = None

    def __repr__(self) -> str:
        return f"{self.base!r}[{self.start}:{self.stop}:{self.stride}]"

    def _range(self) -> range:
        return range(self.start, self.stop, self.stride)

    def __len__(self) -> int:
        return len(self._range())

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return block_access_slice(self, index)
        r = self._range()
        return self.base[r[_element_index(index, len(r))]]

    def __iter__(self) -> Iterator[Tasklet]:
        for i in self._range():
            yield self.base[i]

    def __jug_hash__(self) -> bytes:
        if self._hvalue is None:
            self._hvalue = hash_one(
                {
                    "type": "map-access-slice",
                    "base": self.base,
                    "start": self.start,
                    "stop": self.stop,
                    "stride": self.stride,
                }
            )
        return self._hvalue

    def hash(self) -> bytes:
        """The hash (hex bytes) that identifies this slice of results."""
        return self.__jug_hash__()

    def _block_numbers(self) -> list[int]:
        size = self.base.block_size
        return sorted({i // size for i in self._range()})

    def __jug_dependencies__(self) -> list[Task]:
        return [self.base.blocks[k] for k in self._block_numbers()]

    def dependencies(self) -> Iterator[Task]:
        """The block tasks holding the elements of this slice."""
        return iter(self.__jug_dependencies__())

    def __jug_value__(self) -> list[Any]:
        size = self.base.block_size
        blocks = {k: value(self.base.blocks[k]) for k in self._block_numbers()}
        return [blocks[i // size][i % size] for i in self._range()]

    def value(self) -> list[Any]:
        """The list of results in the slice (loads only the blocks it covers)."""
        return self.__jug_value__()

    def can_load(self) -> bool:
        """Whether every block the slice covers has its result."""
        return all(t.can_load() for t in self.__jug_dependencies__())

    def unload(self) -> None:
        for t in self.__jug_dependencies__():
            t.unload()

    def unload_recursive(self) -> None:
        for t in self.__jug_dependencies__():
            t.unload_recursive()
