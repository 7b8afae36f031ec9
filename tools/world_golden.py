#!/usr/bin/env python3
"""world_golden.py — an independent transcription of the docs/WORLD.md shape table in
plain Python (float64), printing the golden painted areas and pixel moments
(sum of 64*x + 3*y over painted pixels, x0 = y0 = 0) for every shape and side
12..20 that tests/test_world.c compares the C renderer against.
Regenerate: python3 tools/world_golden.py"""
import math
def star(u,v):
    P=[( (1 if k%2==0 else 0.5)*math.cos(math.radians(-90+36*k)), (1 if k%2==0 else 0.5)*math.sin(math.radians(-90+36*k)) ) for k in range(10)]
    c=False; j=9
    for i in range(10):
        xi,yi=P[i]; xj,yj=P[j]
        if (yi>v)!=(yj>v) and u < (xj-xi)*(v-yi)/(yj-yi)+xi: c=not c
        j=i
    return c
F=[lambda u,v:u*u+v*v<=1, lambda u,v:abs(u)<=1 and abs(v)<=1, lambda u,v:v<=1 and 2*abs(u)<=v+1,
   lambda u,v:abs(u)+abs(v)<=1, star, lambda u,v:abs(v)<=0.866 and 0.866*abs(u)+0.5*abs(v)<=0.866,
   lambda u,v:(abs(u)<=0.34 and abs(v)<=1) or (abs(v)<=0.34 and abs(u)<=1), lambda u,v:0.36<=u*u+v*v<=1,
   lambda u,v:v>=0 and u*u+v*v<=1,
   lambda u,v:(u+0.48)**2+(v+0.42)**2<=0.27 or (u-0.48)**2+(v+0.42)**2<=0.27 or (-0.42<=v<=1 and abs(u)<=0.98*(1-v)/1.42),
   lambda u,v:u*u+v*v<=1 and (u-0.45)**2+v*v>0.64,
   lambda u,v:(abs(v)<=0.3 and -1<=u<=0.1) or (0.1<=u<=1 and abs(v)<=(1-u)/0.9)]
rows=[]
for k in range(12):
    a=[];m=[]
    for s in range(12,21):
        area=0;mom=0
        for y in range(s):
            for x in range(s):
                u=(x+0.5-0)/(s/2)-1; v=(y+0.5-0)/(s/2)-1
                if F[k](u,v): area+=1; mom+=x*64+y*3
        a.append(area);m.append(mom)
    rows.append((a,m))
print("static const int golden_area[12][9] = {")
for a,m in rows: print("    {"+", ".join(map(str,a))+"},")
print("};\nstatic const long golden_moment[12][9] = {")
for a,m in rows: print("    {"+", ".join(map(str,m))+"},")
print("};")
