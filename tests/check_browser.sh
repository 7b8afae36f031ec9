#!/usr/bin/env bash
# check_browser.sh — `parm report` in a real browser: a small `bench --method
# all` run (every 62nd prompt: 7 prompts of 6 categories, 2 images, 3 paths), its
# report opened from disk by headless Chromium (--dump-dom after the page's
# script ran, and --screenshot), then the rendered DOM is checked against
# run.json and results.jsonl: one table row per run.json row with the same
# overall, interval and forwards; one gallery card per image, every image
# filled in from its inline data URI (#img=all; by default only the cards
# near the viewport get theirs); the URL-hash filter shows exactly the images
# of a category a method got wrong; every path row shows its step images
# (a crop of the image's step strip) with the PARM stops and first clear steps
# results.jsonl records; a --max-mb cap keeps every k-th card and says so;
# the version shown is parm's; no network references. Needs chromium and jq (tools/install-deps.sh browser).
# KEEP=DIR keeps the page and screenshot there. Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
P=0; F=0
pass() { P=$((P+1)); }
fail() { echo "  FAIL $*"; F=$((F+1)); }
for t in chromium jq; do
  command -v $t >/dev/null || { echo "  $t missing: run tools/install-deps.sh browser"; echo "0 passed, 1 failed"; exit 1; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
chrome() { timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$tmp")" "$@" 2>/dev/null; }

echo "  test_bench_and_report"
if OMP_WAIT_POLICY=passive ./parm bench --method all -n 3 --curve 1,3 --every 62 --images-per-prompt 2 -o "$tmp/b" \
     --json >"$tmp/rows.jsonl" 2>"$tmp/err" && ./parm report "$tmp/b" -o "$tmp/r.html" >"$tmp/rep.txt" 2>>"$tmp/err"
then pass; else fail "bench/report: $(tail -3 "$tmp/err")"; echo "$P passed, $F failed"; exit 1; fi
cat "$tmp/rep.txt" | sed 's/^/    /'

echo "  test_dom_table"
chrome --dump-dom "file://$tmp/r.html#img=all" >"$tmp/dom.html"
nrows=$(jq '.rows | length' "$tmp/b/run.json")
[ "$(grep -c '<tr class="mrow' "$tmp/dom.html")" -eq "$nrows" ] && [ "$nrows" -eq 11 ] || \
  fail "table rows: DOM $(grep -c '<tr class="mrow' "$tmp/dom.html"), run.json $nrows (want 11)"
bad=0
while read -r m n ov lo hi fwd; do
  line=$(grep "data-method=\"$m\" data-n=\"$n\"" "$tmp/dom.html")
  want=$(printf '<td class="overall"><b>%.3f</b></td><td class="overall-ci">[%.3f, %.3f]</td><td class="fwd">%.1f</td>' \
         "$ov" "$lo" "$hi" "$fwd")
  case "$line" in *"$want"*) ;; *) bad=1; fail "row $m n=$n: want $want in: ${line:0:300}";; esac
done < <(jq -r '.rows[] | "\(.method) \(.n) \(.overall) \(.ci.overall[0]) \(.ci.overall[1]) \(.gen_forwards_per_image)"' "$tmp/b/run.json")
[ $bad -eq 0 ] && pass

echo "  test_dom_gallery"
nimg=$(wc -l <"$tmp/b/parm/results.jsonl")
cards=$(grep -o '<div class="card"' "$tmp/dom.html" | wc -l)
filled=$(grep -o '<img data-k="[0-9]*" alt="[^"]*" src="data:image/png;base64,' "$tmp/dom.html" | wc -l)
tiles=$(grep -o '<div class="tile ' "$tmp/dom.html" | wc -l)
if [ "$cards" -eq "$nimg" ] && [ "$nimg" -eq 14 ] && [ "$tiles" -eq $((nimg * 6)) ] && [ "$filled" -eq "$tiles" ]; then pass
else fail "cards $cards (images $nimg, want 14), tiles $tiles (want $((nimg * 6))), images filled in $filled"; fi
chrome --window-size=1400,2600 --dump-dom "file://$tmp/r.html" >"$tmp/lazy.html" # only the cards near the first screen get images
lazy=$(grep -o '<img data-k="[0-9]*" alt="[^"]*" src="data:image/png;base64,' "$tmp/lazy.html" | wc -l)
[ "$lazy" -gt 0 ] && [ "$lazy" -lt "$tiles" ] && pass || fail "lazy images: $lazy of $tiles set on the first screen"
ms=$(grep -o '<span id="ready-ms">[0-9]*</span>' "$tmp/dom.html" | grep -o '[0-9][0-9]*')
[ -n "$ms" ] && pass && echo "    page ready ${ms} ms after navigation start" || fail "the page's script did not finish (ready-ms)"
grep -q "<code id=\"version\">$(./parm --version | cut -d' ' -f2)</code>" "$tmp/dom.html" && pass || fail "version not shown"
grep -Eq '(src|href)="https?:|url\(https?:' "$tmp/r.html" && fail "network reference in the page" || pass

echo "  test_dom_filter"
for spec in "colors incorrect parm" "position correct orm" "all incorrect baseline"; do
  set -- $spec
  want=$(jq -s --arg t "$1" --arg v "$2" '[.[] | select(($t == "all" or .tag == $t) and (.correct == ($v == "correct")))] | length' \
         "$tmp/b/$3/results.jsonl")
  chrome --dump-dom "file://$tmp/r.html#tag=$1&verdict=$2&method=$3" >"$tmp/f.html"
  shown=$(grep -o '<span id="shown">[0-9]*</span>' "$tmp/f.html" | grep -o '[0-9]*')
  hidden=$(grep -o '<div class="card"[^>]*style="display: none;"' "$tmp/f.html" | wc -l)
  if [ "$shown" = "$want" ] && [ $((nimg - hidden)) -eq "$want" ]; then pass
  else fail "filter $spec: shown '$shown', visible $((nimg - hidden)), want $want"; fi
done

echo "  test_dom_path_tables"
chrome --dump-dom "file://$tmp/r.html#paths=open" >"$tmp/p.html"
ndet=$(grep -o '<details [^>]*data-p="' "$tmp/p.html" | wc -l)
nchosen=$(grep -o '<tr class="chosen' "$tmp/p.html" | wc -l)
nprow=$(grep -o '<tr class="[^"]*" title="seed [0-9]*"><td>[0-9]*</td>' "$tmp/p.html" | wc -l)
# 5 search methods with 3 paths each (baseline has one path: no table)
if [ "$ndet" -eq $((nimg * 5)) ] && [ "$nchosen" -eq "$ndet" ] && [ "$nprow" -eq $((ndet * 3)) ]; then pass
else fail "path tables: $ndet tables (want $((nimg * 5))), $nchosen chosen rows, $nprow path rows (want $((ndet * 3)))"; fi
p0=$(jq -r 'select(.chosen > 0) | "\(.chosen) \(.chosen_seed)"' "$tmp/b/orm/results.jsonl" | head -1)
[ -z "$p0" ] || grep -q "<tr class=\"chosen\" title=\"seed ${p0#* }\"><td>${p0% *}</td>" "$tmp/p.html" && pass || \
  fail "orm's chosen path '$p0' (k seed) not drawn as the chosen row"

echo "  test_dom_step_images"
nstrips=$(find "$tmp/b/strips" -name '*.png' | wc -l)
[ "$nstrips" -eq "$nimg" ] && pass || fail "bench wrote $nstrips step strips (want $nimg)"
chrome --dump-dom "file://$tmp/r.html#paths=open&img=all" >"$tmp/p.html"
nsk=$(grep -o '<img class="sk" alt="path [0-9]* steps" src="data:image/png;base64,' "$tmp/p.html" | wc -l)
[ "$nsk" -eq $((nimg * 5 * 3)) ] && pass || fail "step images: $nsk path rows with a strip (want $((nimg * 5 * 3)))"
ncut=$(grep -o '<i class="cut" title="stopped after step [0-9]' "$tmp/p.html" | wc -l)
nclr=$(grep -o '<i class="clr" title="first clear step" style="left:[0-9]' "$tmp/p.html" | wc -l)
wcut=$(jq -s '[.[] | .paths[] | select(.stop_step >= 0)] | length' "$tmp"/b/{orm-zs,orm,prm,parm,oracle}/results.jsonl)
wclr=$(jq -s '[.[] | .paths[] | select(.clear_step >= 0)] | length' "$tmp"/b/{orm-zs,orm,prm,parm,oracle}/results.jsonl)
[ "$ncut" -eq "$wcut" ] && [ "$nclr" -eq "$wclr" ] && [ "$wclr" -gt 0 ] && pass || \
  fail "stops greyed $ncut (results.jsonl $wcut), clear steps framed $nclr (results.jsonl $wclr)"
# a PARM-stopped path: the grey starts right after its stop step (tiles of data-px pixels)
ps=$(jq -r 'select(any(.paths[]; .stop_step >= 0)) | (.paths | map(.stop_step >= 0) | index(true)) as $k |
     "\(.paths[$k].stop_step) \(input_line_number)"' "$tmp/b/parm/results.jsonl" | head -1)
px=$(grep -o 'data-px="[0-9]*"' "$tmp/p.html" | head -1 | grep -o '[0-9][0-9]*')
[ -z "$ps" ] || grep -q "title=\"stopped after step ${ps% *}\" style=\"left:$(( (${ps% *} + 1) * px ))px\"" "$tmp/p.html" && pass || \
  fail "no grey overlay at step ${ps% *}+1 (px $px)"

echo "  test_size_cap"
./parm report "$tmp/b" -o "$tmp/cap.html" --max-mb 0.15 >"$tmp/cap.txt" 2>>"$tmp/err" || fail "report --max-mb: $(tail -1 "$tmp/err")"
sed 's/^/    /' "$tmp/cap.txt"
bytes=$(stat -c %s "$tmp/cap.html")
chrome --dump-dom "file://$tmp/cap.html" >"$tmp/capdom.html"
k=$(grep -o '<p class="meta" id="subset">Gallery: every [0-9]*-th' "$tmp/capdom.html" | grep -o '[0-9][0-9]*')
ccards=$(grep -o '<div class="card"' "$tmp/capdom.html" | wc -l)
[ "$bytes" -le 150000 ] && [ -n "$k" ] && [ "$ccards" -eq $(( (nimg + k - 1) / k )) ] && pass || \
  fail "cap: $bytes bytes (≤ 150000), every '$k'-th image, $ccards cards"

echo "  test_screenshot"
chrome --window-size=1400,1800 --screenshot="$tmp/shot.png" "file://$tmp/r.html" >/dev/null
if [ -s "$tmp/shot.png" ] && [ "$(head -c 8 "$tmp/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then pass
else fail "no screenshot"; fi
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$tmp/r.html" "$tmp/shot.png" "$tmp/dom.html" "$KEEP/"
echo "$P passed, $F failed"
[ $F -eq 0 ]
