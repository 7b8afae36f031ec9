#!/bin/sh
# heldout.sh — regenerate the grader audit's held-out batch (session 7):
# 34 TRAIN prompts (17 position + 17 color_attr, random.Random(77), none in
# bench/geneval-shapes.jsonl or docs/grader-audit/prompts.jsonl: the other
# categories' train prompts all recur in the benchmark) → heldout/hNNN.png,
# three images each (seeds 20000+3i .. +2, default sampler, shipped weights),
# re-packed as 192x64 strips (`parm generate -n 3` now puts 4-px gutters
# around its images). Labeled while the session-7 rule was chosen; never tune
# on it. Run from the repository root after `make` (python3-pil); HELDOUT_DIR
# writes elsewhere.
set -e
D=${HELDOUT_DIR:-docs/grader-audit/heldout}
mkdir -p "$D"
./parm prompts --split train | python3 -c '
import json, random, sys
bench = {json.loads(l)["prompt"] for l in open("bench/geneval-shapes.jsonl")}
aud = {json.loads(l)["prompt"] for l in open("docs/grader-audit/prompts.jsonl")}
by = {}
for l in sys.stdin:
    d = json.loads(l)
    if d["prompt"] not in bench and d["prompt"] not in aud:
        by.setdefault(d["tag"], []).append(l.strip())
rng = random.Random(77)
for tag in ("position", "color_attr"):
    for l in rng.sample(by[tag], 17):
        print(l)' > "$D/prompts.jsonl"
i=0
while IFS= read -r line; do
    p=$(printf '%s' "$line" | sed 's/.*"prompt": "\([^"]*\)".*/\1/')
    f=$(printf '%s/h%03d.png' "$D" "$i")
    OMP_WAIT_POLICY=passive ./parm generate --prompt "$p" -o "$f" -n 3 --seed $((20000 + 3 * i)) >/dev/null
    python3 -c '
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
out = Image.new("RGB", (192, 64))
for k in range(3):
    out.paste(im.crop((4 + 68 * k, 4, 68 + 68 * k, 68)), (64 * k, 0))
out.save(sys.argv[1])' "$f"
    i=$((i + 1))
done < "$D/prompts.jsonl"
