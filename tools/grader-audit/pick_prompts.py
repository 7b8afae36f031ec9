#!/usr/bin/python3
"""pick_prompts.py — the grader audit set's prompts: TRAIN split only, a fixed
number per tag drawn with random.Random(13) from `parm prompts --split train`.
One-off tooling (never run by parm). Usage: pick_prompts.py < train.jsonl > prompts.jsonl"""
import json, random, sys

PER_TAG = {"single_object": 12, "two_object": 20, "counting": 16, "colors": 16, "position": 18, "color_attr": 18}
by_tag = {}
for line in sys.stdin:
    d = json.loads(line)
    assert d["split"] == "train"
    by_tag.setdefault(d["tag"], []).append(line.strip())
rng = random.Random(13)
for tag, k in PER_TAG.items():
    for line in rng.sample(by_tag[tag], k):
        print(line)
