"""make_fixtures_judge_ground.py — PyTorch golden fixture for the judge's
grounding head and loss (tests/test_judge.c, judge.h "Grounding"): the judge
of make_fixtures_judge.py (same tiny config and inputs) plus head.ground
w [1,C]; grounding logits g[b,p] = y[b, 1+TT+p] · w (y = the stack's output
after its final LayerNorm); the objective BCE (weighted, mean) + word_weight ·
caption-completion CE + (1/B) Σ_b gw_b · CE_b, CE_b = −Σ_p t[b,p] ·
log softmax(g[b])_p, with a row that has no target (gw = 0); and the fixed
relation readout on the grounding logits of rows 0 and 1 (soft masks,
centroids at patch centres 8·col+4, 8·row+4, the DESIGN §2 dead zone with
16 px sides and margins, κ = 8).
Writes tests/fixtures/judge_ground.safetensors: a valid parm judge weights
file (F16 weights, used at that precision) plus inputs, expected logits,
grounding logits, losses, readout logits and every grad (F32).
Run: /usr/bin/python3 tools/make_fixtures_judge_ground.py"""
import os
import re
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_io  # noqa: E402
from make_fixtures_nn import stack_forward, stack_params  # noqa: E402

src = open(os.path.join(HERE, "..", "src", "models", "text_vocab.c")).read()
body = src[src.index("vocab[] = {"):src.index("};", src.index("vocab[] = {"))]
V = len(re.findall(r'"[^"]*"', body))
L, C, NH, FF, TT, B, NQ, NCLS = 2, 24, 4, 48, 8, 3, 4, 11
T = 1 + TT + 64
g = torch.Generator().manual_seed(1)
P = {"tf." + k: v for k, v in stack_params(L, C, FF, g).items()}
P["emb.question"] = 0.5 * torch.randn(NQ, C, generator=g)
P["emb.text"] = 0.5 * torch.randn(V, C, generator=g)
P["emb.patch"] = 0.1 * torch.randn(64 * NCLS, C, generator=g)
P["emb.pos"] = 0.5 * torch.randn(T, C, generator=g)
P["head.weight"] = torch.randn(1, C, generator=g) / C ** 0.5
P["head.bias"] = 0.1 * torch.randn(1, generator=g)
P["head.ground"] = torch.randn(1, C, generator=g)  # large enough that the soft masks are not flat
P = {k: v.detach().half().float().requires_grad_() for k, v in P.items()}

question = torch.tensor([0, 0, 3])
lens = [5, 8, 2]
text = torch.zeros(B, TT, dtype=torch.long)
for b, n in enumerate(lens):
    text[b, 0] = 1
    text[b, 1:n] = torch.randint(4, V, (n - 1,), generator=g)
cls = torch.zeros(B, 64, 64, dtype=torch.long)
for b in range(B):
    for _ in range(6):
        x0, y0 = torch.randint(0, 56, (2,), generator=g).tolist()
        w, h = torch.randint(3, 20, (2,), generator=g).tolist()
        cls[b, y0:y0 + h, x0:x0 + w] = int(torch.randint(1, NCLS, (1,), generator=g))
labels = torch.tensor([1.0, 0.0, 0.7])
weights = torch.tensor([1.0, 0.5, 2.0])
# grounding targets: distributions over patches (row 1 has none: weight 0, its row is garbage on purpose)
tgt = torch.rand(B, 64, generator=g) ** 4
tgt[0, 20:] = 0
tgt = tgt / tgt.sum(1, keepdim=True)
tgt[1] = 7.0
gw = torch.tensor([1.5, 0.0, 0.8])
MASK, WW = 3, 0.7
masked = [(0, 2), (1, 5)]
text2 = text.clone()
words = torch.full((B, TT), -1, dtype=torch.long)
for b, t in masked:
    words[b, t] = text[b, t]
    text2[b, t] = MASK

onehot = F.one_hot(cls, NCLS).float()
patches = onehot.view(B, 8, 8, 8, 8, NCLS).permute(0, 1, 3, 2, 4, 5).reshape(B, 64, 64 * NCLS)
key_ok = torch.ones(B, T, dtype=torch.bool)
for b, n in enumerate(lens):
    key_ok[b, 1 + n:1 + TT] = False
mask = key_ok[:, None, :].expand(B, T, T)
x = torch.cat([P["emb.question"][question][:, None], P["emb.text"][text2], patches @ P["emb.patch"]], 1) + P["emb.pos"][None]
h = stack_forward({k[3:]: v for k, v in P.items() if k.startswith("tf.")}, x, mask, L, NH)
logits = F.linear(h[:, 0], P["head.weight"], P["head.bias"]).reshape(B)
glog = (h[:, 1 + TT:] @ P["head.ground"].t()).reshape(B, 64)
bce = F.binary_cross_entropy_with_logits(logits, labels, weight=weights, reduction="mean")
rows = torch.stack([h[b, 1 + t] for b, t in masked])
wl = F.cross_entropy(rows @ P["emb.text"].t(), torch.tensor([int(text[b, t]) for b, t in masked]))
ce = -(torch.where(gw[:, None] > 0, tgt, torch.zeros_like(tgt)) * F.log_softmax(glog, 1)).sum(1)
gl = (gw * ce).sum() / B
(bce + WW * wl + gl).backward()


def readout(ga, gb, rel, kappa=8.0):
    p = torch.arange(64, dtype=torch.float64)
    cx, cy = 8 * (p % 8) + 4, 8 * torch.div(p, 8, rounding_mode="floor") + 4
    ma, mb = torch.softmax(ga.double(), 0), torch.softmax(gb.double(), 0)
    rx, ry = (ma * cx).sum() - (mb * cx).sum(), (ma * cy).sum() - (mb * cy).sum()
    nr = torch.sqrt(rx * rx + ry * ry) + 1e-3
    dead = 0.1 * (16 + 16)  # the grader's 0.1*(side_A + side_B), sides taken as 16 px
    mx, my = torch.sign(rx) * torch.clamp(rx.abs() - dead, min=0), torch.sign(ry) * torch.clamp(ry.abs() - dead, min=0)
    dx, dy = mx / nr, my / nr
    m = [-dx - 0.5, dx - 0.5, -dy - 0.5, dy - 0.5][rel]
    return kappa * m


gd = glog.detach()
rel = torch.tensor([[float(readout(gd[a], gd[b], r)) for r in range(4)] for a, b in [(0, 1), (1, 0), (2, 0)]])

out = {k: v.detach().half() for k, v in P.items()}
out.update({"grad." + k: v.grad for k, v in P.items()})
out.update({"in.question": question.int(), "in.text": text2.int(), "in.words": words.int(),
            "in.word_weight": torch.tensor([WW]), "in.classes": cls.to(torch.float16), "in.labels": labels,
            "in.weights": weights, "in.ground": tgt, "in.ground_w": gw,
            "expect.logits": logits.detach(), "expect.glog": gd, "expect.loss": bce.detach().reshape(1),
            "expect.word_loss": wl.detach().reshape(1), "expect.ground_loss": gl.detach().reshape(1),
            "expect.ground_ce": ce.detach()[gw > 0].sum().reshape(1), "expect.rel": rel})
meta = {"model": "parm-judge", "L": L, "C": C, "NH": NH, "F": FF, "text_len": TT, "variant": "fixture"}
path = os.path.join(HERE, "..", "tests", "fixtures", "judge_ground.safetensors")
fixture_io.save(path, out, meta)
print("wrote", path, "bce", bce.item(), "ground", gl.item(), "rel", rel.tolist(), os.path.getsize(path), "bytes")
