"""The primes example: 99 small tasks, a reduction, and a result file.

Run it with ``bash run-demo.sh`` (or ``make demo`` from the repository root), or by hand::

    jug status primes.py
    jug execute primes.py &  jug execute primes.py &  wait
    jug status primes.py
    cat output.txt
"""

import os
from time import sleep

from jug import TaskGenerator

# Each task sleeps a little so that several workers visibly share the work.
DELAY = float(os.environ.get("PRIMES_DELAY", "0.05"))
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output.txt")


@TaskGenerator
def is_prime(n):
    sleep(DELAY)
    for j in range(2, int(n**0.5) + 1):
        if n % j == 0:
            return False
    return True


@TaskGenerator
def count_primes(ps):
    return sum(ps)


@TaskGenerator
def write_output(n):
    with open(OUTPUT, "w") as output:
        output.write(f"Found {n} primes <= 100.\n")


primes100 = [is_prime(n) for n in range(2, 101)]
n_primes = count_primes(primes100)
write_output(n_primes)
