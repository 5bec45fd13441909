"""``jug demo``: write the primes example into a new directory, and say what to run."""

from __future__ import annotations

import os

from jug.errors import JugError

from . import SubCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["PRIMES", "DemoCommand", "demo"]

#: The demo jugfile: 99 small tasks (one per number), a reduction, and an output file.
PRIMES = '''\
"""Which numbers up to 100 are prime? A jug demo: 99 small tasks and a reduction."""

from time import sleep

from jug import TaskGenerator


@TaskGenerator
def is_prime(n):
    sleep(0.1)  # pretend this is hard work, so that several workers are worth it
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


@TaskGenerator
def count_primes(flags):
    return sum(flags)


@TaskGenerator
def write_output(n):
    with open("output.txt", "w") as output:
        output.write(f"Found {n} primes <= 100.\\n")


flags = [is_prime(n) for n in range(2, 101)]
n_primes = count_primes(flags)
write_output(n_primes)
'''

_NEXT_STEPS = """\
Wrote the primes example to {path}. Try it:

    cd {dir}
    jug status primes.py        # 99 tasks ready, 2 waiting
    jug execute primes.py       # runs them (about 10 s)
    cat output.txt              # Found 25 primes <= 100.

Several workers share the work: start them side by side (or on other machines that see
the same directory) and watch `jug status primes.py` in between:

    jug execute primes.py & jug execute primes.py & jug execute primes.py & wait
"""


class DemoCommand(SubCommand):
    """Write the primes example into a new directory and say what to run"""

    name = "demo"
    needs_jugfile = False

    def run(self, options: Any, *args: Any, **kwargs: Any) -> int:
        from jug.options import CLI_SOURCE

        # `jug demo DIR`: the positional argument names the directory, not a jugfile.
        directory = options.jugfile if options.sources.get("jugfile") == CLI_SOURCE else "jug-demo"
        if os.path.exists(directory):
            raise JugError(f"{directory} already exists; name a new directory: jug demo DIRECTORY")
        os.makedirs(directory)
        path = os.path.join(directory, "primes.py")
        with open(path, "w", encoding="utf-8") as out:
            out.write(PRIMES)
        print(_NEXT_STEPS.format(path=path, dir=directory), end="")
        return 0


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
demo = DemoCommand()
