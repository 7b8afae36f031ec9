#!/usr/bin/env bash
# check_example.sh — the embedding example (examples/generate_and_verify.c)
# links libparm, runs from a folder outside the repo on the shipped weights,
# and prints a judge score per path, the chosen path and a grader verdict.
# Prints the runner's "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.." || exit 1
root=$PWD
P=0; F=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "  test_example_generate_and_verify"
out=$(cd "$tmp" && OMP_WAIT_POLICY=passive "$root/build/examples/generate_and_verify" "$root/weights" \
      "a photo of a red star" "$tmp/pick.png" 2>&1); rc=$?
echo "$out" | sed 's/^/    /'
paths=$(echo "$out" | grep -c '^path [0-3] (seed [0-9]*): P(match) 0\.[0-9]*')
if [ $rc -eq 0 ] && [ "$paths" -eq 4 ] && echo "$out" | grep -q 'grader says \(correct\|wrong\)' &&
   [ "$(echo "$out" | grep -c '<- chosen')" -eq 1 ] && [ -s "$tmp/pick.png" ]; then P=$((P+1))
else echo "  FAIL example: exit $rc, $paths path lines"; F=$((F+1)); fi
echo "  test_example_bad_input"
(cd "$tmp" && "$root/build/examples/generate_and_verify" "$root/weights" "a photo of a mauve star" >/dev/null 2>"$tmp/err"); rc=$?
if [ $rc -eq 1 ] && grep -q "mauve" "$tmp/err"; then P=$((P+1)); else echo "  FAIL bad prompt: exit $rc: $(cat "$tmp/err")"; F=$((F+1)); fi
echo "$P passed, $F failed"
[ $F -eq 0 ]
