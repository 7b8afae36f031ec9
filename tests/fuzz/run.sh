#!/usr/bin/env bash
# run.sh — `make fuzz`: run each libFuzzer harness build-fuzz/fuzz_NAME in turn
# (niced, one at a time: the machine is shared) for FUZZ_RUNS executions or
# FUZZ_TIME seconds, whichever ends first, from its committed seed corpus
# tests/fuzz/NAME/seed plus a working corpus build-fuzz/corpus/NAME. A crash,
# leak or timeout leaves its input in build-fuzz/artifacts/NAME/ — copy it to
# tests/fuzz/NAME/regress/ once fixed (make test replays that folder).
# Prints one line per harness: execs, seconds, crashes, hangs; exits 1 if any.
set -u
cd "$(dirname "$0")/../.." || exit 1
runs=${FUZZ_RUNS:-1000000}; secs=${FUZZ_TIME:-1800}
bad=0
printf '%-12s %10s %8s %8s %6s %6s\n' harness execs seconds exec/s crash hang
for name in "$@"; do
  corpus=build-fuzz/corpus/$name art=build-fuzz/artifacts/$name
  mkdir -p "$corpus" "$art"
  log=build-fuzz/$name.log
  t0=$(date +%s)
  OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive ASAN_OPTIONS=detect_leaks=1 \
    nice -n 19 "build-fuzz/fuzz_$name" -runs="$runs" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" "$corpus" "tests/fuzz/$name/seed" >"$log" 2>&1
  rc=$?
  t1=$(date +%s)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crash=$(find "$art" -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' | wc -l)
  hang=$(find "$art" -name 'timeout-*' -o -name 'slow-unit-*' | wc -l)
  el=$((t1 - t0)); [ $el -lt 1 ] && el=1
  printf '%-12s %10s %8d %8d %6d %6d\n' "$name" "${execs:-?}" $el $(( ${execs:-0} / el )) "$crash" "$hang"
  if [ $rc -ne 0 ] || [ "$crash" -gt 0 ] || [ "$hang" -gt 0 ]; then bad=1; echo "   see $log and $art/"; fi
done
exit $bad
