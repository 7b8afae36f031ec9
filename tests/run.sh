#!/usr/bin/env bash
# run.sh — run every test binary given, sum their "N passed, N failed" lines,
# print the grand total last (after the skipped tests' count, if any). Exit
# non-zero if anything failed or crashed.
set -u
cd "$(dirname "$0")/.." || exit 1
P=0; F=0; S=0
# An argument VAR=VALUE:path runs path with VAR=VALUE in its environment
# (e.g. PARM_PRECISION=bf16:build/tests/test_ops: see tests/test.h).
for arg in "$@"; do
  envs=(); t=$arg
  if [[ $arg == *=*:* ]]; then envs=("${arg%%:*}"); t=${arg#*:}; fi
  echo "== $arg"
  out=$(env "${envs[@]}" "$t" 2>&1); rc=$?
  echo "$out"
  line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ -z "$line" ]; then
    echo "!! $t crashed or printed no summary (exit $rc)"; F=$((F+1)); continue
  fi
  p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
  P=$((P+p)); F=$((F+f))
  s=$(echo "$out" | grep -E '^[0-9]+ skipped$' | tail -1); s=${s%% skipped}; S=$((S+${s:-0}))
  [ $rc -ne 0 ] && [ "$f" -eq 0 ] && { echo "!! $t exited $rc"; F=$((F+1)); }
done
[ $S -gt 0 ] && echo "$S skipped (not counted as passed; see the SKIP lines above)"
echo "$P passed, $F failed"
[ $F -eq 0 ]
