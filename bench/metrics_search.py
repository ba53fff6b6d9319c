"""Child process of bench/metrics.ts: top-k inner-product search of queries.npy against keys.npy
(rows L2-normalized: cosine) with numpy (float32 GEMM per block of queries + argpartition) and
faiss-cpu (IndexFlatIP); prints JSON with seconds, the numpy indices' file and peak RSS."""
import json
import resource
import sys
import time

import numpy as np

queries = np.load(sys.argv[1]).astype(np.float32)
keys = np.load(sys.argv[2]).astype(np.float32)
k = int(sys.argv[3])
out = sys.argv[4]

t = time.perf_counter()
found = np.empty((len(queries), k), dtype=np.int64)
for i in range(0, len(queries), 1024):
    s = queries[i:i + 1024] @ keys.T
    part = np.argpartition(-s, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(s, part, 1), axis=1, kind="stable")
    found[i:i + 1024] = np.take_along_axis(part, order, 1)
numpy_seconds = time.perf_counter() - t
np.save(out, found.astype(np.float32))  # indices < 2^24: exact, and .npy float32 is what lib/npy.ts reads

result = {"numpySeconds": numpy_seconds}
try:
    import faiss

    t = time.perf_counter()
    index = faiss.IndexFlatIP(keys.shape[1])
    index.add(keys)
    _, faiss_found = index.search(queries, k)
    result["faissSeconds"] = time.perf_counter() - t
    result["faissAgreement"] = float((np.sort(faiss_found, 1) == np.sort(found, 1)).all(1).mean())
except ImportError:
    result["faissSeconds"] = None
result["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
