#!/usr/bin/python3
"""Float32 error of Winograd F(4, 3) for candidate interpolation points (docs/ARCHITECTURE.md, 'fast').

For each set of five finite points plus infinity: A^T and G from the points (Lavin's wincnn construction, the
fractions in G), B^T solved so that A^T [(G g) . (B^T d)] is the 3-tap cross-correlation, then one 4x4 tile of
a conv2d over C channels, uniform inputs and weights in [-1, 1), computed in float32 as matrix products and
compared with float64: mean RMS relative error. Run: /usr/bin/python3 scripts/winograd-points.py [-v]
"""
import sys
from fractions import Fraction as F

import numpy as np

M, R = 4, 3
N = M + R - 1


def matrices(points):
    AT, G = np.zeros((M, N)), np.zeros((N, R))
    for i, a in enumerate(points):
        f = 1.0
        for j, b in enumerate(points):
            if j != i:
                f *= float(a - b)
        AT[:, i] = [float(a) ** k for k in range(M)]
        G[i] = [float(a) ** k / f for k in range(R)]
    AT[M - 1, N - 1] = G[N - 1, R - 1] = 1
    rows, rhs = [], []
    for k in range(M):
        for j in range(R):
            for l in range(N):
                row = np.zeros((N, N))
                row[:, l] = AT[k] * G[:, j]
                rows.append(row.ravel())
                rhs.append(1.0 if l == k + j else 0.0)
    BT, _, rank, _ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    assert rank == N * N
    return AT, G, BT.reshape(N, N)


def error(AT, G, BT, C, trials=40, seed=0):
    rng = np.random.default_rng(seed)
    f32 = np.float32
    out = []
    for _ in range(trials):
        d, g = rng.uniform(-1, 1, (C, N, N)), rng.uniform(-1, 1, (C, R, R))
        y = np.array([[np.sum(d[:, i : i + R, j : j + R] * g) for j in range(M)] for i in range(M)])
        U = np.einsum('ia,cab,jb->cij', G.astype(f32), g.astype(f32), G.astype(f32)).astype(f32)
        V = np.einsum('ia,cab,jb->cij', BT.astype(f32), d.astype(f32), BT.astype(f32)).astype(f32)
        Y = AT.astype(f32) @ (U * V).sum(axis=0, dtype=f32) @ AT.T.astype(f32)
        out.append(np.sqrt(np.mean((Y - y) ** 2) / np.mean(y**2)))
    return float(np.mean(out))


CANDIDATES = [
    [0, 1, -1, 2, -2],
    [0, 1, -1, F(1, 2), F(-1, 2)],
    [0, 1, -1, 2, F(-1, 2)],
    [0, 1, -1, F(1, 2), -2],
    [0, 1, -1, 2, F(1, 2)],
    [0, -1, F(1, 2), F(-1, 2), 2],
    [0, 1, -1, F(3, 2), F(-3, 2)],
]

for points in CANDIDATES:
    AT, G, BT = matrices([F(p) for p in points])
    errors = '  '.join(f'C={c}: {error(AT, G, BT, c):.2e}' for c in (16, 64, 256))
    print(f"{', '.join(str(p) for p in points) + ', inf':28s} {errors}")
    if '-v' in sys.argv:
        for name, m in (('B^T', BT), ('G', G), ('A^T', AT)):
            print(f'  {name}:', [[str(F(v).limit_denominator(1000)) for v in row] for row in m])
