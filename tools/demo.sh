#!/usr/bin/env bash
# demo.sh — `make demo`: the main job end to end with the shipped weights:
# generate images for a prompt step by step (MaskGIT decoding) and save the
# trace of step images, then generate and grade a few prompts of every
# GenEval category with the benchmark harness. Outputs land in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/demo
rm -rf "$out"
mkdir -p "$out"
prompt="a photo of a red star and a blue circle"
./parm generate --prompt "$prompt" -n 4 --seed 0 -o "$out/generated.png" --trace "$out/trace.png"
echo "demo: \"$prompt\" -> $out/generated.png (4 images), step images -> $out/trace.png"
./parm generate --prompt "$prompt" --method orm -n 8 --seed 0 -o "$out/best-of-8.png"
echo "demo: the fine-tuned ORM's pick of 8 paths -> $out/best-of-8.png"
prompts=(
  "a photo of a star"
  "a photo of a circle and an arrow"
  "a photo of three hearts"
  "a photo of an orange crescent"
  "a photo of a triangle left of a ring"
  "a photo of a purple hexagon and a yellow cross"
)
: > "$out/prompts.jsonl"
for p in "${prompts[@]}"; do ./parm prompts --prompt "$p" >> "$out/prompts.jsonl"; done
./parm bench --method baseline --metadata "$out/prompts.jsonl" --out "$out/bench" --images-per-prompt 4
