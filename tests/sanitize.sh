#!/usr/bin/env bash
# sanitize.sh — `make test-sanitize`'s runner. The tests find ./parm, build/…,
# tests/fixtures/… relative to the repository root, so they run from a shadow
# root build-san/root: a symlink to every top-level folder of the checkout
# (copies of its files and of weights/), except that parm is build-san/parm and
# build/ is build-san/ (the ASan+UBSan build). Arguments: test binaries as build/tests/NAME (that is build-san/tests/NAME).
# Any sanitizer report aborts its test binary, which tests/run.sh counts as failed.
set -u
cd "$(dirname "$0")/.." || exit 1
root=build-san/root
rm -rf "$root" && mkdir -p "$root" || exit 1
for f in $(ls -A); do
  case $f in parm|build|build-san|build-fuzz|.git|runs|out) continue ;; esac
  # regular files and weights/ are copied (a test copies them into a temp git
  # repo and overwrites a shipped file there: it must not reach the checkout)
  if [ -d "$f" ] && [ "$f" != weights ]; then ln -s "../../$f" "$root/$f"; else cp -r "$f" "$root/$f"; fi
done
cp build-san/parm "$root/parm" # a copy: the CLI finds weights/ next to its executable
ln -s .. "$root/build"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export PARM_TEST_SANITIZE=1 # quality bounds that depend on float rounding are reported, not asserted
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
cd "$root" && bash tests/run.sh "$@"
