#!/usr/bin/env bash
# check_install.sh — `make install PREFIX=<temp>` installs parm, libparm.a/.so,
# the headers, parm.pc and the shipped weights; the example program builds
# against the install with `pkg-config --cflags --libs parm` (shared library)
# and runs on the installed weights; the installed parm finds its share/parm
# from another folder. Prints the runner's "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.." || exit 1
root=$PWD
P=0; F=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass() { P=$((P+1)); }
fail() { echo "  FAIL $*"; F=$((F+1)); }
echo "  test_make_install"
if make -s install PREFIX="$tmp/prefix" >"$tmp/install.log" 2>&1; then pass; else fail "make install: $(tail -3 "$tmp/install.log")"; fi
for f in bin/parm lib/libparm.a lib/libparm.so lib/pkgconfig/parm.pc include/parm.h include/parm/search.h \
         include/parm/stats.h share/parm/weights/gen.safetensors share/parm/weights/judge_orm.safetensors \
         share/parm/bench/geneval-shapes.jsonl; do
  [ -s "$tmp/prefix/$f" ] || fail "not installed: $f"
done
echo "  test_pkg_config_example"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs parm 2>&1)
if cc -std=c11 -o "$tmp/ex" examples/generate_and_verify.c $flags >"$tmp/cc.log" 2>&1; then pass
else fail "cc examples/generate_and_verify.c $flags: $(head -5 "$tmp/cc.log")"; fi
if [ -x "$tmp/ex" ]; then
  ldd "$tmp/ex" | grep -q libparm.so || ldd "$tmp/ex" | grep -q "libparm.so" || fail "the example does not link libparm.so: $(ldd "$tmp/ex" | head -3)"
  out=$(cd "$tmp" && OMP_WAIT_POLICY=passive LD_LIBRARY_PATH="$tmp/prefix/lib" ./ex "$tmp/prefix/share/parm/weights" \
        "a photo of a red star" 2>&1); rc=$?
  if [ $rc -eq 0 ] && echo "$out" | grep -q 'grader says'; then pass; else fail "example: exit $rc: $out"; fi
fi
echo "  test_installed_parm_finds_share"
out=$(cd "$tmp" && "$tmp/prefix/bin/parm" --version && OMP_WAIT_POLICY=passive "$tmp/prefix/bin/parm" generate \
      --prompt "a photo of a red star" -o "$tmp/x.png" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -s "$tmp/x.png" ] && echo "$out" | grep -q "^parm "; then pass; else fail "installed parm: exit $rc: $out"; fi
echo "$P passed, $F failed"
[ $F -eq 0 ]
