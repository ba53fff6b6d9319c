"""Child process of bench/study.ts and bench/metrics.ts: the same FID (scipy.linalg.sqrtm, as
pytorch-fid; timed on its first call and as the best of `--warm-calls=N` more) and improved precision/recall (k = 3, batched
numpy distances) on two .npy files (`--fid-only` skips precision/recall); prints JSON with seconds
and peak RSS."""
import json
import resource
import sys
import time

import numpy as np
from scipy import linalg

real = np.load(sys.argv[1]).astype(np.float64)
fake = np.load(sys.argv[2]).astype(np.float64)



def frechet_distance():
    mu1, mu2 = real.mean(0), fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def seconds(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


# Cold: the first call in this process (BLAS threads and scipy's lazy parts start inside it);
# warm: the best of `--warm-calls=N` further calls (default 5), as the engine's warm figure.
flags = sys.argv[3:]
WARM_CALLS = next((int(f.split("=")[1]) for f in flags if f.startswith("--warm-calls=")), 5)
t = time.perf_counter()
fid = frechet_distance()
fid_seconds = time.perf_counter() - t
fid_warm_seconds = min(seconds(frechet_distance) for _ in range(WARM_CALLS))


def sq_dist(a, b):
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0)


def radii(x, k, batch=2000):
    return np.concatenate([np.partition(sq_dist(x[i:i + batch], x), k, axis=1)[:, k] for i in range(0, len(x), batch)])


def covered(q, ref, r, batch=2000):
    return float(np.concatenate([(sq_dist(q[i:i + batch], ref) <= r[None, :]).any(1) for i in range(0, len(q), batch)]).mean())


if "--fid-only" in flags:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"fid": fid, "fidSeconds": fid_seconds, "fidWarmSeconds": fid_warm_seconds, "peakRssMiB": peak}))
    sys.exit(0)

t = time.perf_counter()
rr, rf = radii(real, 3), radii(fake, 3)
precision, recall = covered(fake, real, rr), covered(real, fake, rf)
pr_seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"fid": fid, "fidSeconds": fid_seconds, "fidWarmSeconds": fid_warm_seconds, "precision": precision, "recall": recall, "prSeconds": pr_seconds, "peakRssMiB": peak}))
