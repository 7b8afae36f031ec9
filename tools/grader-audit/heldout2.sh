#!/bin/sh
# heldout2.sh — regenerate the grader audit's second held-out batch (session 12):
# 34 TRAIN prompts (17 position + 17 color_attr, random.Random(1212)), none in
# bench/geneval-shapes.jsonl, docs/grader-audit/prompts.jsonl or the first
# held-out batch → heldout2/gNNN.png, three images each (seeds 30000+3i .. +2,
# default sampler, shipped weights), packed as 192x64 strips. Labeled blind
# after the session-12 rule (proportion variants) was fixed; never tune on it.
# Run from the repository root after `make` (/usr/bin/python3 with
# python3-pil); HELDOUT2_DIR writes elsewhere.
set -e
D=${HELDOUT2_DIR:-docs/grader-audit/heldout2}
mkdir -p "$D"
./parm prompts --split train | /usr/bin/python3 -c '
import json, random, sys
used = set()
for f in ("bench/geneval-shapes.jsonl", "docs/grader-audit/prompts.jsonl", "docs/grader-audit/heldout/prompts.jsonl"):
    used |= {json.loads(l)["prompt"] for l in open(f)}
by = {}
for l in sys.stdin:
    d = json.loads(l)
    if d["prompt"] not in used:
        by.setdefault(d["tag"], []).append(l.strip())
rng = random.Random(1212)
for tag in ("position", "color_attr"):
    for l in rng.sample(by[tag], 17):
        print(l)' > "$D/prompts.jsonl"
i=0
while IFS= read -r line; do
    p=$(printf '%s' "$line" | sed 's/.*"prompt": "\([^"]*\)".*/\1/')
    f=$(printf '%s/g%03d.png' "$D" "$i")
    OMP_WAIT_POLICY=passive ./parm generate --prompt "$p" -o "$f" -n 3 --seed $((30000 + 3 * i)) --threads 1 >/dev/null
    /usr/bin/python3 -c '
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
out = Image.new("RGB", (192, 64))
for k in range(3):
    out.paste(im.crop((4 + 68 * k, 4, 68 + 68 * k, 68)), (64 * k, 0))
out.save(sys.argv[1])' "$f"
    i=$((i + 1))
done < "$D/prompts.jsonl"
