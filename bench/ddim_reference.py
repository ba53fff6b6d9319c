"""The DDIM loop of bench/diffusion.ts, written independently in numpy around Python onnxruntime
(and optionally PyTorch eager): same model, initial noise, labels, steps, guidance and batch size.

python bench/ddim_reference.py MODEL.onnx X_T.npy LABELS.npy OUT.npy --steps 20 --guidance 2 \
    --batch 100 --threads 2 --timesteps 1000 --schedule cosine --null-class 10 [--checkpoint CKPT]
Prints one JSON object: images/s with onnxruntime (and PyTorch), share of time outside session.run.
"""

import argparse
import json
import math
import sys
import time

import numpy as np


def alphas_cumprod(kind, T):
    if kind == "linear":
        betas = np.linspace(1e-4, 0.02, T, dtype=np.float64)
    else:  # Nichol & Dhariwal (2021), Eq. 17
        f = lambda t: math.cos((t / T + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = np.array([min(1 - f(t + 1) / f(t), 0.999) for t in range(T)])
    return np.cumprod(1 - betas)


def trailing_timesteps(T, n):
    """Trailing spacing as lib/diffusion/ddim-scheduler.ts computes it: round(i T / n) - 1 for
    i = n..1, halves to even. (diffusers' np.arange(T, 0, -T / n) accumulates rounding: for some n
    it gives n + 1 timesteps, the last -1, or rounds a half the other way.)"""
    return (np.round(np.arange(n, 0, -1) * (T / n)).astype(np.int64) - 1).tolist()


def ddim(predict, x, labels, abar, steps, guidance, null_class, T):
    """Song et al. (2021), Eq. 12 with eta = 0 and x0 clipped to [-1, 1]. Each step goes from one
    scheduled timestep to the next (not to t - T // steps, which is off the schedule when steps does
    not divide T), and the last one to abar = 1, as the TypeScript scheduler does."""
    n = x.shape[0]
    guided = guidance != 1
    y = np.concatenate([labels, np.full(n, null_class)]) if guided else labels
    outside = 0.0
    timesteps = trailing_timesteps(T, steps)
    for t, prev in zip(timesteps, timesteps[1:] + [-1]):
        t0 = time.perf_counter()
        batch = np.concatenate([x, x]) if guided else x
        ts = np.full(batch.shape[0], t, dtype=np.int64)
        outside += time.perf_counter() - t0
        eps = predict(batch.astype(np.float32), ts, y.astype(np.int64))
        t0 = time.perf_counter()
        if guided:
            eps = eps[n:] + guidance * (eps[:n] - eps[n:])
        a_t = abar[t]
        a_prev = abar[prev] if prev >= 0 else 1.0
        x0 = np.clip((x - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t), -1, 1)
        x = (np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps).astype(np.float32)
        outside += time.perf_counter() - t0
    return x, outside


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("x_t")
    p.add_argument("labels")
    p.add_argument("out")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=2)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--timesteps", type=int, default=1000)
    p.add_argument("--schedule", default="cosine")
    p.add_argument("--null-class", type=int, default=10)
    p.add_argument("--checkpoint")
    p.add_argument("--image-shape", default="1,28,28", help="C,H,W of each row of X_T")
    a = p.parse_args()

    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    session = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    abar = alphas_cumprod(a.schedule, a.timesteps)
    shape = tuple(int(v) for v in a.image_shape.split(","))
    x_all = np.load(a.x_t).astype(np.float32).reshape(-1, *shape)
    labels = np.load(a.labels).reshape(-1).astype(np.int64)
    run_time = [0.0]

    def predict_ort(x, t, y):
        t0 = time.perf_counter()
        out = session.run(["noise"], {"sample": x, "timestep": t, "class_label": y})[0]
        run_time[0] += time.perf_counter() - t0
        return out

    def sample_all(predict):
        outs, outside = [], 0.0
        for s in range(0, x_all.shape[0], a.batch):
            x, o = ddim(predict, x_all[s : s + a.batch], labels[s : s + a.batch], abar, a.steps, a.guidance, a.null_class, a.timesteps)
            outs.append(x)
            outside += o
        return np.concatenate(outs), outside

    predict_ort(x_all[:2], np.zeros(2, np.int64), labels[:2].astype(np.int64))  # warm-up
    run_time[0] = 0.0
    t0 = time.perf_counter()
    x, _ = sample_all(predict_ort)
    wall = time.perf_counter() - t0
    np.save(a.out, x.reshape(x.shape[0], -1))
    result = {
        "onnxruntime": ort.__version__,
        "imagesPerSecond": x_all.shape[0] / wall,
        "outsideRunShare": 1 - run_time[0] / wall,
    }
    if a.checkpoint:
        import torch

        sys.path.insert(0, ".")
        from trainers.ddpm import build_unet

        torch.set_num_threads(a.threads)
        state = torch.load(a.checkpoint, map_location="cpu")
        model = build_unet(state["config"]["channels"], x_all.shape[1], a.null_class)
        model.load_state_dict(state["ema"])
        model.eval()

        def predict_torch(x, t, y):
            with torch.no_grad():
                return model(torch.from_numpy(x), torch.from_numpy(t), torch.from_numpy(y)).numpy()

        t0 = time.perf_counter()
        xt, _ = sample_all(predict_torch)
        result["torch"] = torch.__version__
        result["torchImagesPerSecond"] = x_all.shape[0] / (time.perf_counter() - t0)
        result["torchVsOnnxMaxAbsDiff"] = float(np.max(np.abs(xt - x)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
