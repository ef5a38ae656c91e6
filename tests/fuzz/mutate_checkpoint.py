#!/usr/bin/env python3
"""Mutates the bundled policy checkpoint N times (truncation, random bytes, 64 bytes of 0xFF,
256-byte splices; seed 17) and gives each to `build/rlplace place --placer policy --policy`.
Prints a case that crashes or errors on more than one line, then the tally of
(exit status, stderr lines). Stands in for fuzz_checkpoint where its LibTorch build is too
slow (docs/reliability.md). Usage: tests/fuzz/mutate_checkpoint.py [N] [--keep CASE]"""
import os, random, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
src = open(os.path.join(root, 'netlists/data/policies/pretrained.pt'), 'rb').read()
sample = os.path.join(root, 'netlists/data/ct_samples/sample_clustered')
n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
keep = int(sys.argv[sys.argv.index('--keep') + 1]) if '--keep' in sys.argv else -1
rng = random.Random(17)
tally = {}
with tempfile.TemporaryDirectory() as tmp:
    for i in range(n):
        b = bytearray(src)
        kind = i % 4
        if kind == 0:
            b = b[:rng.randrange(len(b))]
        elif kind == 1:
            for _ in range(rng.randrange(1, 64)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == 2:
            p = rng.randrange(len(b)); b[p:p + 64] = b'\xff' * 64
        else:
            p = rng.randrange(len(b)); q = rng.randrange(len(b)); b[p:p + 256] = src[q:q + 256]
        path = os.path.join(tmp, 'm.pt') if i != keep else 'case%d.pt' % i
        open(path, 'wb').write(b)
        r = subprocess.run([os.path.join(root, 'build/rlplace'), 'place', '--placer', 'policy', '--policy', path,
                            '--netlist', sample + '/netlist.pb.txt', '--plc', sample + '/initial.plc',
                            '--out', os.path.join(tmp, 'o.plc')], capture_output=True, text=True, timeout=300)
        lines = len(r.stderr.strip().splitlines())
        tally[(r.returncode, lines)] = tally.get((r.returncode, lines), 0) + 1
        if r.returncode not in (0, 1) or (r.returncode == 1 and lines != 1):
            print('case', i, 'kind', kind, 'exit', r.returncode, repr(r.stderr[-300:]))
print('(exit, stderr lines): count', tally)
