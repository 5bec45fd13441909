"""A pipeline whose second half depends on a result: `jug execute pipeline.py` goes on past
the bvalue() by itself. Read the result with `jug.init("pipeline.py")`."""

from jug import TaskGenerator, bvalue


@TaskGenerator
def sizes(n):
    return [i % 7 + 1 for i in range(n)]


@TaskGenerator
def simulate(size, seed):
    state = seed
    for _ in range(size * 1000):
        state = (state * 1103515245 + 12345) % 2**31
    return state / 2**31


@TaskGenerator
def mean(values):
    return sum(values) / len(values)


plan = bvalue(sizes(12))  # the number of simulations is known only once this ran
runs = [simulate(size, seed) for seed, size in enumerate(plan)]
result = mean(runs)
