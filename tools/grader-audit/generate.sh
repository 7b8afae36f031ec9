#!/bin/sh
# generate.sh — regenerate the grader audit set's generator outputs byte for
# byte: prompt i of docs/grader-audit/prompts.jsonl → gen/pNNN.png, three
# images side by side (seeds 9000+3i .. 9000+3i+2, default sampler, shipped
# weights). Run from the repository root after `make`.
set -e
i=0
mkdir -p docs/grader-audit/gen
while IFS= read -r line; do
    p=$(printf '%s' "$line" | sed 's/.*"prompt": "\([^"]*\)".*/\1/')
    f=$(printf 'docs/grader-audit/gen/p%03d.png' "$i")
    OMP_WAIT_POLICY=passive ./parm generate --prompt "$p" -o "$f" -n 3 --seed $((9000 + 3 * i)) >/dev/null
    i=$((i + 1))
done < docs/grader-audit/prompts.jsonl
