# Before anything else, extend __path__: jug is one namespace spread over several
# distributions (jug-core, jug-backends, jug-cli, jug-contrib, jug-shell), and this
# regular package has to let the others' portions be found. Keep it the only place.
from ._namespace import extend_path as _extend_path

__path__ = _extend_path(__path__, __name__)

__doc__ = """jug: task-based parallelisation for scientific Python.

Decorate functions with :class:`TaskGenerator`; calling them builds :class:`Task` objects
whose results are memoised in a store under a hash of function and arguments, and which any
number of ``jug execute`` processes can compute in parallel.
"""

from ._version import __version__
from .barrier import barrier, bvalue
from .compound import CompoundTask, CompoundTaskGenerator
from .runtime import init, is_jug_running, set_jugdir
from .task import (
    CachedFunction,
    Task,
    TaskGenerator,
    Tasklet,
    iteratetask,
    recursive_dependencies,
    value,
)

__all__ = [
    "CachedFunction",
    "CompoundTask",
    "CompoundTaskGenerator",
    "Task",
    "TaskGenerator",
    "Tasklet",
    "__version__",
    "barrier",
    "bvalue",
    "init",
    "is_jug_running",
    "iteratetask",
    "recursive_dependencies",
    "set_jugdir",
    "value",
]
