#!/usr/bin/python3
"""oracle_score.py — baseline (path 0) and oracle best-of-n scores from a
`parm grade` results.jsonl of an oracle_paths folder (sample index j*N + k).
One-off tooling. Usage: oracle_score.py RESULTS.jsonl N [n ...]"""
import json, re, sys, collections
TAGS = ["single_object", "two_object", "counting", "colors", "position", "color_attr"]
res, N = sys.argv[1], int(sys.argv[2])
ns = [int(a) for a in sys.argv[3:]] or [1, N]
ok = collections.defaultdict(dict)  # (prompt, j) -> {k: correct}
tag = {}
for line in open(res):
    r = json.loads(line)
    m = re.search(r"/(\d{5})/samples/(\d{4})\.png$", r["filename"])
    p, s = int(m.group(1)), int(m.group(2))
    ok[(p, s // N)][s % N] = r["correct"]
    tag[(p, s // N)] = r["tag"]
for n in ns:
    per = collections.defaultdict(list)
    for key, paths in ok.items():
        per[tag[key]].append(any(paths[k] for k in range(n)))
    acc = {t: sum(v) / len(v) for t, v in per.items()}
    overall = sum(acc.values()) / len(acc)
    print(json.dumps({"n": n, **{t: round(acc[t], 4) for t in TAGS if t in acc}, "overall": round(overall, 4),
                      "images": sum(len(v) for v in per.values())}))
