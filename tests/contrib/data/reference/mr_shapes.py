# Reference jugfile: the task graphs of jug.mapreduce (hashes compared with Jug 2.7).
import numpy as np

import jug.mapreduce
from jug import Task, TaskGenerator


def double(x):
    return 2 * x


def add(a, b):
    return a + b


def pair(a, b):
    return (a, b)


def ident(x):
    return x


@TaskGenerator
def tsum(xs):
    return sum(xs)


@TaskGenerator
def triple(x):
    return 3 * x


@TaskGenerator
def tadd(a, b):
    return a + b


mr = {n: jug.mapreduce.mapreduce(add, double, list(range(n))) for n in (1, 4, 5, 10, 32, 36, 260)}
mr_steps = jug.mapreduce.mapreduce(add, double, list(range(20)), map_step=2, reduce_step=3)
mr_empty = jug.mapreduce.mapreduce(add, double, [])
mr_tg = jug.mapreduce.mapreduce(tadd, triple, list(range(10)))
mr_tasks = jug.mapreduce.mapreduce(add, None, [Task(ident, i) for i in range(6)], map_step=2)
r1 = jug.mapreduce.reduce(add, list(range(20)))
r2 = jug.mapreduce.reduce(add, [5])
r3 = jug.mapreduce.reduce(add, list(range(20)), reduce_step=3)
r_empty = jug.mapreduce.reduce(add, [])
r_tg = jug.mapreduce.reduce(tadd, [triple(i) for i in range(3)])

m = jug.mapreduce.map(double, list(range(10)), map_step=4)
m_tuple = jug.mapreduce.map(double, tuple(range(10)), map_step=4)
m_range = jug.mapreduce.map(double, range(10), map_step=3)
m_array = jug.mapreduce.map(double, np.arange(7), map_step=2)
m_empty = jug.mapreduce.map(double, [])
m_tg = jug.mapreduce.map(triple, list(range(9)), map_step=4)
m_tasks = jug.mapreduce.map(double, [Task(ident, i) for i in range(5)], map_step=2)
m_of_m = jug.mapreduce.map(double, m, map_step=4)
m_of_slice = jug.mapreduce.map(double, m[1:8], map_step=3)

elements = [m[0], m[5], m[-1], m[3]]
slices = [
    m[2:7],
    m[::3],
    m[::-1],
    m[8:1:-3],
    m[5:2],
    m[-3:],
    m[100:200],
    m[2:7][1:3],
    m[1:9:2][1:3],
    m[::3][::2],
    m[::-1][2:5],
    m[::-1][::-2],
    m[8:1:-3][1:],
    m[2:7][10:20],
    m[2:7][::-1],
]
slice_elements = [m[1:9:2][-1], m[1:9:2][0], m[::-1][0], m[2:7][1]]

c = jug.mapreduce.currymap(pair, [(i, i + 1) for i in range(6)], map_step=4)
c_tg = jug.mapreduce.currymap(tadd, [(i, 2 * i) for i in range(5)])
c_empty = jug.mapreduce.currymap(pair, [])

uses = [tsum(m), tsum(m[2:7]), tsum(m[3]), tsum(c)]

__check__ = [
    "mr",
    "mr_steps",
    "mr_empty",
    "mr_tg",
    "mr_tasks",
    "r1",
    "r2",
    "r3",
    "r_empty",
    "r_tg",
    "m",
    "m_tuple",
    "m_range",
    "m_array",
    "m_empty",
    "m_tg",
    "m_tasks",
    "m_of_m",
    "m_of_slice",
    "elements",
    "slices",
    "slice_elements",
    "c",
    "c_tg",
    "c_empty",
    "uses",
]
