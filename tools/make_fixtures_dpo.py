"""make_fixtures_dpo.py — PyTorch golden fixture for the generator's DPO loss
(include/parm/dpo.h, tests/test_dpo.c). Policy = the tiny generator of
tests/fixtures/gen_small.safetensors (make_fixtures_gen.py); reference = the
policy plus small noise (so the margin is not 0). B = 2 pairs (4 sequences:
chosen rows 0..1, rejected rows 2..3, same text per pair), each sequence with
its own random mask:
  π(x) = Σ_{masked i} log_softmax(logits_i)[x_i];  z = β((π_c−π_r) − (ρ_c−ρ_r))
  L = mean_b −log σ(z_b) + λ·mean_{chosen masked} CE
Writes tests/fixtures/dpo_small.safetensors: a valid parm generator file (the
REFERENCE weights, tiny config) plus inputs, ρ, π, z, the loss and every grad
of the policy. Run: /usr/bin/python3 tools/make_fixtures_dpo.py"""
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_io  # noqa: E402
from make_fixtures_gen import K, TT, V, L, C, NH, FF, gen_logits, order  # noqa: E402

BETA, SFT, NPAIR = 0.1, 0.3, 2
g = torch.Generator().manual_seed(15)
src = fixture_io.load(os.path.join(HERE, "..", "tests", "fixtures", "gen_small.safetensors"))
names = [k for k in src if not k.startswith(("grad.", "in.", "expect."))]
P = {k: torch.tensor(src[k].astype("float32")).requires_grad_() for k in names}
R = {k: (P[k].detach() + 0.05 * torch.randn(P[k].shape, generator=g)) for k in names}

B = 2 * NPAIR
lens = [6, 8]  # per pair
text = torch.zeros(B, TT, dtype=torch.long)
for b in range(NPAIR):
    n = lens[b]
    text[b, 0] = 1
    text[b, 1:n] = torch.randint(4, V, (n - 1,), generator=g)
    text[NPAIR + b] = text[b]
seq_lens = lens + lens
tokens = torch.randint(0, K, (B, 256), generator=g)
masked = torch.rand(B, 256, generator=g) < torch.tensor([0.3, 0.7, 0.5, 0.9])[:, None]
inp = torch.where(masked, torch.full_like(tokens, K), tokens)
targets = torch.where(masked, tokens, torch.full_like(tokens, -1))


def seq_logp(params):
    logits = gen_logits(params, text, inp, seq_lens)            # [B·256,K] (b,p,s)
    tg = targets[:, order].reshape(-1)
    keep = tg >= 0
    lp = torch.zeros(B * 256)
    lp[keep] = F.log_softmax(logits[keep], -1).gather(1, tg[keep][:, None])[:, 0]
    return lp.view(B, 256).sum(1), lp, keep


with torch.no_grad():
    ref, _, _ = seq_logp(R)
pi, lp, keep = seq_logp(P)
z = BETA * ((pi[:NPAIR] - pi[NPAIR:]) - (ref[:NPAIR] - ref[NPAIR:]))
dpo = -F.logsigmoid(z).mean()
chosen = keep.view(B, 256)[:NPAIR].reshape(-1)
sft = -(lp.view(B, 256)[:NPAIR].reshape(-1)[chosen]).mean()
loss = dpo + SFT * sft
loss.backward()

out = {k: R[k] for k in names}
out.update({"grad." + k: P[k].grad for k in names})
out.update({"in.text": text.int(), "in.img": inp.int(), "in.targets": targets.int(),
            "in.beta": torch.tensor([BETA]), "in.sft": torch.tensor([SFT]),
            "expect.ref_logp": ref, "expect.pi_logp": pi.detach(), "expect.z": z.detach(),
            "expect.dpo": dpo.detach().reshape(1), "expect.sft": sft.detach().reshape(1),
            "expect.loss": loss.detach().reshape(1)})
meta = {"model": "parm-gen", "L": L, "C": C, "NH": NH, "F": FF, "ncodes": K, "text_len": TT}
path = os.path.join(HERE, "..", "tests", "fixtures", "dpo_small.safetensors")
fixture_io.save(path, out, meta)
print("wrote", path, "z", z.tolist(), "dpo", dpo.item(), "sft", sft.item(), "loss", loss.item(),
      os.path.getsize(path), "bytes")
