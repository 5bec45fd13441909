"""Count the primes below 10,000: `jug execute primes.py` (start several), then `jug status`."""

from jug import TaskGenerator


@TaskGenerator
def is_prime(n):
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


@TaskGenerator
def count(flags):
    return sum(flags)


flags = [is_prime(n) for n in range(10_000)]
primes = count(flags)
