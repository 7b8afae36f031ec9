#!/usr/bin/env bash
# demo.sh — `make demo`: render a few prompts of the shapes world with the
# ground-truth renderer into out/demo/ in GenEval layout and grade them with
# ./parm (a later issue replaces this with the full pipeline).
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/demo
rm -rf "$out"
prompts=(
  "a photo of a star"
  "a photo of a circle and an arrow"
  "a photo of three hearts"
  "a photo of an orange crescent"
  "a photo of a triangle left of a ring"
  "a photo of a purple hexagon and a yellow cross"
)
for i in "${!prompts[@]}"; do
  d=$(printf "%s/%05d" "$out" "$i")
  mkdir -p "$d/samples"
  ./parm prompts --prompt "${prompts[$i]}" > "$d/metadata.jsonl"
  for s in 0 1; do
    ./parm render --prompt "${prompts[$i]}" --seed "$s" -o "$(printf "%s/samples/%04d.png" "$d" "$s")"
  done
  echo "demo: rendered \"${prompts[$i]}\" -> $d/samples/"
done
./parm grade "$out"
