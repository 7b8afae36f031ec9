"""make_fixtures_judge.py — PyTorch golden fixture for the judge's full
forward/backward (tests/test_judge.c): question-token + text + palette-class
patch embeddings (one-hot [8·8·11] patch → linear), learned positions, the
transformer stack of make_fixtures_nn.py with padding keys masked, the yes/no
head on the question token, weighted BCE with logits; then, on a second
batch with some caption words replaced by the mask token (id 3), the same
BCE plus word_weight · cross-entropy of the hidden words predicted through the
tied text embedding (the caption-completion loss). Writes
tests/fixtures/judge_small.safetensors: a valid parm judge weights file (tiny
config, weights stored F16 and used at that precision) plus inputs (images as
palette-class maps, which the C test paints in palette colours), logits, loss
and every grad (F32).
Run: /usr/bin/python3 tools/make_fixtures_judge.py"""
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
g = torch.Generator().manual_seed(0)
P = {"tf." + k: v for k, v in stack_params(L, C, FF, g).items()}
P["emb.question"] = 0.5 * torch.randn(NQ, C, generator=g)
P["emb.text"] = 0.5 * torch.randn(V, C, generator=g)
P["emb.patch"] = 0.1 * torch.randn(64 * NCLS, C, generator=g)
P["emb.pos"] = 0.5 * torch.randn(T, C, generator=g)
P["head.weight"] = torch.randn(1, C, generator=g) / C ** 0.5
P["head.bias"] = 0.1 * torch.randn(1, generator=g)
# weights ship as F16: compute with exactly those values
P = {k: v.detach().half().float().requires_grad_() for k, v in P.items()}

question = torch.tensor([0, 2, 3])
lens = [5, 8, 2]  # non-pad text tokens (BOS included)
text = torch.zeros(B, TT, dtype=torch.long)
for b, n in enumerate(lens):
    text[b, 0] = 1
    text[b, 1:n] = torch.randint(4, V, (n - 1,), generator=g)
# images: mostly background with random blocks of palette classes
cls = torch.zeros(B, 64, 64, dtype=torch.long)
for b in range(B):
    for _ in range(6):
        x0, y0 = torch.randint(0, 56, (2,), generator=g).tolist()
        w, h = torch.randint(3, 20, (2,), generator=g).tolist()
        cls[b, y0:y0 + h, x0:x0 + w] = int(torch.randint(1, NCLS, (1,), generator=g))
labels = torch.tensor([1.0, 0.0, 0.7])
weights = torch.tensor([1.0, 0.5, 2.0])

# patch p = py*8+px, pixel k = ky*8+kx; one-hot index k*11 + class
onehot = F.one_hot(cls, NCLS).float()                                  # [B,64,64,11] (y, x)
patches = onehot.view(B, 8, 8, 8, 8, NCLS).permute(0, 1, 3, 2, 4, 5)   # [B,py,px,ky,kx,11]
patches = patches.reshape(B, 64, 64 * NCLS)
xp = patches @ P["emb.patch"]                                          # [B,64,C]
xq = P["emb.question"][question][:, None]                              # [B,1,C]
xt = P["emb.text"][text]                                               # [B,TT,C]
x = torch.cat([xq, xt, xp], 1) + P["emb.pos"][None]
key_ok = torch.ones(B, T, dtype=torch.bool)
for b, n in enumerate(lens):
    key_ok[b, 1 + n:1 + TT] = False
mask = key_ok[:, None, :].expand(B, T, T)
h = stack_forward({k[3:]: v for k, v in P.items() if k.startswith("tf.")}, x, mask, L, NH)
logits = F.linear(h[:, 0], P["head.weight"], P["head.bias"]).reshape(B)
loss = F.binary_cross_entropy_with_logits(logits, labels, weight=weights, reduction="mean")
loss.backward()
grads1 = {k: v.grad.clone() for k, v in P.items()}
for v in P.values():
    v.grad = None

# caption completion: (b, t) text positions masked, their words predicted
MASK, WW = 3, 0.7
masked = [(0, 2), (0, 4), (1, 5), (2, 1)]
text2 = text.clone()
words = torch.full((B, TT), -1, dtype=torch.long)
for b, t in masked:
    words[b, t] = text[b, t]
    text2[b, t] = MASK
xq2 = P["emb.question"][question][:, None]
xp2 = patches @ P["emb.patch"]
x2 = torch.cat([xq2, P["emb.text"][text2], xp2], 1) + P["emb.pos"][None]
h2 = stack_forward({k[3:]: v for k, v in P.items() if k.startswith("tf.")}, x2, mask, L, NH)
logits2 = F.linear(h2[:, 0], P["head.weight"], P["head.bias"]).reshape(B)
bce2 = F.binary_cross_entropy_with_logits(logits2, labels, weight=weights, reduction="mean")
rows = torch.stack([h2[b, 1 + t] for b, t in masked])
wl = F.cross_entropy(rows @ P["emb.text"].t(), torch.tensor([int(text[b, t]) for b, t in masked]))
(bce2 + WW * wl).backward()

out = {k: v.detach().half() for k, v in P.items()}
out.update({"grad." + k: v for k, v in grads1.items()})
out.update({"grad2." + k: v.grad for k, v in P.items()})
out.update({"in.text2": text2.int(), "in.words": words.int(), "in.word_weight": torch.tensor([WW]),
            "expect.loss2": bce2.detach().reshape(1), "expect.word_loss": wl.detach().reshape(1)})
out.update({"in.question": question.int(), "in.text": text.int(), "in.classes": cls.to(torch.float16),
            "in.labels": labels, "in.weights": weights,
            "expect.logits": logits.detach(), "expect.loss": loss.detach().reshape(1)})
meta = {"model": "parm-judge", "L": L, "C": C, "NH": NH, "F": FF, "text_len": TT, "variant": "fixture"}
path = os.path.join(HERE, "..", "tests", "fixtures", "judge_small.safetensors")
fixture_io.save(path, out, meta)
print("wrote", path, "vocab", V, "loss", loss.item(), "logits", logits.tolist(), os.path.getsize(path), "bytes")
