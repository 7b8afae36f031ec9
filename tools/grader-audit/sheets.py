#!/usr/bin/python3
"""sheets.py — contact sheets for hand-labeling the grader audit set: each
64x64 tile enlarged 4x with its global index, and each detection's number
drawn beside its box (no class, no confidence, no prompt: the labeler sees
only pixels). One-off tooling (python3-pil), never run by parm.
Usage: sheets.py DUMP.jsonl OUTPREFIX [COLS ROWS]"""
import json, sys
from PIL import Image, ImageDraw

dump = [json.loads(l) for l in open(sys.argv[1])]
prefix = sys.argv[2]
cols, rows = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (5, 4)
tiles = []  # (file, tile) in first-seen order, then every tile of each strip
seen = {}
for d in dump:
    key = (d["file"], d["tile"])
    if key not in seen:
        seen[key] = len(tiles)
        tiles.append(key)
Z, PAD, TOP = 4, 14, 16
TW, TH = 64 * Z + 2 * PAD, 64 * Z + 2 * PAD + TOP
for sheet in range(0, len(tiles), cols * rows):
    img = Image.new("RGB", (cols * TW, rows * TH), (60, 60, 60))
    dr = ImageDraw.Draw(img)
    for j, (f, t) in enumerate(tiles[sheet:sheet + cols * rows]):
        gi = sheet + j
        X, Y = (j % cols) * TW, (j // cols) * TH
        src = Image.open(f).convert("RGB").crop((64 * t, 0, 64 * t + 64, 64)).resize((64 * Z, 64 * Z), Image.NEAREST)
        img.paste(src, (X + PAD, Y + PAD + TOP))
        dr.text((X + 4, Y + 2), "#%d" % gi, fill=(255, 255, 0))
        for d in dump:
            if (d["file"], d["tile"]) != (f, t):
                continue
            x0, y0, x1, y1 = d["box"]
            bx0, by0 = X + PAD + x0 * Z - 2, Y + PAD + TOP + y0 * Z - 2
            bx1, by1 = X + PAD + (x1 + 1) * Z + 1, Y + PAD + TOP + (y1 + 1) * Z + 1
            dr.rectangle((bx0, by0, bx1, by1), outline=(0, 255, 255))
            tx, ty = max(bx0 - 10, X), max(by0 - 10, Y + TOP)
            dr.rectangle((tx, ty, tx + 8, ty + 10), fill=(0, 0, 0))
            dr.text((tx + 1, ty), str(d["det"]), fill=(0, 255, 255))
    img.save("%s%02d.png" % (prefix, sheet // (cols * rows)))
    print("%s%02d.png" % (prefix, sheet // (cols * rows)), sheet, min(sheet + cols * rows, len(tiles)) - 1)
