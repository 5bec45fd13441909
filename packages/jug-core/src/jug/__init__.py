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
    return_tuple,
    value,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
    "return_tuple",
    "set_jugdir",
    "value",
]

# The original jug's `import jug` also gave these, from parts that are other distributions
# here: they are imported on first use (`jug.options`, `jug.file_store`, ...), so that
# `import jug` costs no more than jug-core. Name -> (module, attribute of it or None for
# the module itself, the distribution that ships it).
_ELSEWHERE = {
    "backends": ("jug.backends", None, "jug-backends"),
    "file_store": ("jug.backends.file_store", None, "jug-backends"),
    "redis_store": ("jug.backends.redis_store", None, "jug-backends"),
    "dict_store": ("jug.backends.dict_store", "dict_store", "jug-backends"),
    "hooks": ("jug.hooks", None, "jug-contrib"),
    "io": ("jug.io", None, "jug-contrib"),
    "mapreduce": ("jug.mapreduce", None, "jug-contrib"),
    "utils": ("jug.utils", None, "jug-contrib"),
    "jug": ("jug.jug", None, "jug-cli"),
    "options": ("jug.options", None, "jug-cli"),
    "subcommands": ("jug.subcommands", None, "jug-cli"),
    "jug_version": ("jug.jug_version", None, "jug-core"),
}


def __getattr__(name: str) -> "Any":
    where = _ELSEWHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'jug' has no attribute {name!r}")
    module_name, attribute, distribution = where
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise  # something that module needs is missing, not the module itself
        from .errors import MissingPartError

        raise MissingPartError(
            f"jug.{name} is part of {distribution}, which is not installed "
            f"(pip install {distribution})"
        ) from None
    value = module if attribute is None else getattr(module, attribute)
    if attribute is not None:
        globals()[name] = value  # a module's own import sets the attribute to the module
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ELSEWHERE})
