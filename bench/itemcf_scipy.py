"""Item-item co-occurrence on ml-100k with scipy.sparse, the reference for `npm run bench:train -- --itemcf`.

Binary user x item matrix X (one per distinct rated pair), C = X^T X (sparse), cosine
C_ij / sqrt(C_ii C_jj) with the diagonal removed, top-K per row. Prints one JSON line with the
best-of-N wall time of the product + top-K (load excluded), so both sides time the same work.

    python3 bench/itemcf_scipy.py [path/to/u.data] [K] [repeats]
"""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ml-100k/u.data"
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    raw = np.loadtxt(path, dtype=np.int64, usecols=(0, 1))  # read-only; never copied
    users = np.unique(raw[:, 0], return_inverse=True)[1]
    items_ids, items = np.unique(raw[:, 1], return_inverse=True)
    n_users, n_items = users.max() + 1, len(items_ids)
    best = float("inf")
    nnz_out = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        x = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=(n_users, n_items))
        x.data[:] = 1.0  # binary (duplicates summed by the constructor)
        c = (x.T @ x).tocsr()
        diag = c.diagonal().astype(np.float64)
        c.setdiag(0)
        c.eliminate_zeros()
        inv = 1.0 / np.sqrt(np.maximum(diag, 1e-12))
        c = sp.diags(inv) @ c @ sp.diags(inv)
        c = c.tocsr()
        nnz_out = 0
        for i in range(n_items):
            a, b = c.indptr[i], c.indptr[i + 1]
            if b - a > k:
                row = c.data[a:b]
                top = np.argpartition(-row, k)[:k]
                order = top[np.lexsort((c.indices[a:b][top], -row[top]))]
            else:
                order = np.lexsort((c.indices[a:b], -c.data[a:b]))
            nnz_out += len(order)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"impl": "scipy.sparse", "users": int(n_users), "items": int(n_items), "pairs": int(len(users)), "k": k,
                      "cooccurrence_nnz": int(c.nnz), "neighbours": nnz_out, "seconds": best}))


if __name__ == "__main__":
    main()
