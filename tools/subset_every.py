#!/usr/bin/python3
# subset_every.py IN.jsonl K OUT.jsonl: keep the results of every K-th prompt folder of a full-benchmark
# results.jsonl and renumber the folders as `parm bench --every K` writes them (folder i*K -> i), so
# `parm compare` pairs a full run's images with an --every K run's
import json, re, sys
src, k, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = []
for line in open(src):
    r = json.loads(line)
    m = re.search(r'/(\d{5})/samples/', r['filename'])
    i = int(m.group(1))
    if i % k: continue
    r['filename'] = r['filename'][:m.start(1)] + '%05d' % (i // k) + r['filename'][m.end(1):]
    out.append(json.dumps(r))
open(dst, 'w').write('\n'.join(out) + '\n')
print(len(out), 'rows')
