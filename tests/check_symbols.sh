#!/usr/bin/env bash
# check_symbols.sh — libparm's embedding surface: every external symbol that
# build/libparm.a defines starts with parm_ (so it cannot clash with a host
# program's names). Prints the runner's "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.." || exit 1
lib=${1:-build/libparm.a}
echo "  test_exported_symbols_prefixed"
if [ ! -f "$lib" ]; then echo "  FAIL $lib missing"; echo "0 passed, 1 failed"; exit 1; fi
# .gomp_critical_user_NAME: the lock GCC makes for `#pragma omp critical(NAME)`;
# it carries the section's own (parm_) name
bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[A-Z]/ {print $3}' |
      grep -v -e '^parm_' -e '^\.gomp_critical_user_parm_' | sort -u)
if [ -n "$bad" ]; then
  echo "  FAIL exported without the parm_ prefix: $(echo $bad | tr '\n' ' ')"
  echo "0 passed, 1 failed"; exit 1
fi
echo "    $(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[A-Z]/' | wc -l) exported symbols, all parm_"
echo "1 passed, 0 failed"
