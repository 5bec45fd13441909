# Reference jugfile: the spec's word-count example, with mapreduce and as a CompoundTask.
from collections import defaultdict

import jug.mapreduce
from jug.compound import CompoundTask

inputs = [
    "banana apple apple banana",
    "apple pear football",
    "pear",
    "banana apple apple",
    "football banana",
    "apple pear",
    "waldorf salad",
]


def count1(text):
    counts = defaultdict(int)
    for word in text.split():
        counts[word] += 1
    return counts


def merge_dicts(rhs, lhs):
    rhs = rhs.copy()
    for k, v in lhs.items():
        rhs[k] += v
    return rhs


plain = jug.mapreduce.mapreduce(merge_dicts, count1, inputs, map_step=1)
compound = CompoundTask(jug.mapreduce.mapreduce, merge_dicts, count1, inputs, map_step=1)

__check__ = ["plain", "compound"]
