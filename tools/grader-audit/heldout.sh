#!/bin/sh
# heldout.sh [1|2] — regenerate one of the grader audit's held-out batches:
# 34 TRAIN prompts (17 position + 17 color_attr; the other categories' train
# prompts all recur in the benchmark) that are in neither
# bench/geneval-shapes.jsonl nor docs/grader-audit/prompts.jsonl (batch 2: nor
# batch 1), three images each (default sampler, shipped weights), re-packed as
# 192x64 strips (`parm generate -n 3` puts 4-px gutters around its images).
#   batch 1 (session 7):  random.Random(77),   seeds 20000+3i .. +2 → heldout/hNNN.png;
#                         labeled while the session-7 rule was chosen.
#   batch 2 (session 12): random.Random(1212), seeds 30000+3i .. +2 → heldout2/gNNN.png;
#                         labeled blind after the session-12 rule was fixed.
# Never tune on either. Run from the repository root after `make` (python3
# with python3-pil; PYTHON names another interpreter); HELDOUT_DIR writes elsewhere.
set -e
PY=${PYTHON:-python3}
B=${1:-1}
case "$B" in
1) D=${HELDOUT_DIR:-docs/grader-audit/heldout}; RNG=77; SEED0=20000; PFX=h; USED="" ;;
2) D=${HELDOUT_DIR:-docs/grader-audit/heldout2}; RNG=1212; SEED0=30000; PFX=g; USED=docs/grader-audit/heldout/prompts.jsonl ;;
*) echo "heldout.sh: batch '$B' is not 1 or 2" >&2; exit 2 ;;
esac
mkdir -p "$D"
./parm prompts --split train | "$PY" -c '
import json, random, sys
used = set()
for f in ["bench/geneval-shapes.jsonl", "docs/grader-audit/prompts.jsonl"] + sys.argv[2:]:
    used |= {json.loads(l)["prompt"] for l in open(f)}
by = {}
for l in sys.stdin:
    d = json.loads(l)
    if d["prompt"] not in used:
        by.setdefault(d["tag"], []).append(l.strip())
rng = random.Random(int(sys.argv[1]))
for tag in ("position", "color_attr"):
    for l in rng.sample(by[tag], 17):
        print(l)' "$RNG" $USED > "$D/prompts.jsonl.tmp"
mv "$D/prompts.jsonl.tmp" "$D/prompts.jsonl"
i=0
while IFS= read -r line; do
    p=$(printf '%s' "$line" | sed 's/.*"prompt": "\([^"]*\)".*/\1/')
    f=$(printf '%s/%s%03d.png' "$D" "$PFX" "$i")
    OMP_WAIT_POLICY=passive ./parm generate --prompt "$p" -o "$f" -n 3 --seed $((SEED0 + 3 * i)) >/dev/null
    "$PY" -c '
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
out = Image.new("RGB", (192, 64))
for k in range(3):
    out.paste(im.crop((4 + 68 * k, 4, 68 + 68 * k, 68)), (64 * k, 0))
out.save(sys.argv[1])' "$f"
    i=$((i + 1))
done < "$D/prompts.jsonl"
