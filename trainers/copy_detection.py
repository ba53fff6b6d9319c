"""A copy-detection embedding for the replication audit (Somepalli et al., 2023): a small CNN trained
with the NT-Xent contrastive loss (Chen et al., 2020, SimCLR) on pairs of edited views of one image,
in the spirit of SSCD (Pizzi et al., 2022), so that an image and an edited copy of it embed close
together while different images (even of one class) embed apart.
`python -m trainers.copy_detection --data DIR --out DIR --config JSON [--resume CKPT]`."""

import os

from . import contract
from .contract import ConfigError, emit

DEFAULTS = {
    **contract.COMMON_DEFAULTS,
    "steps": 1000,
    "batchSize": 128,
    "learningRate": 1e-3,
    "embeddingDim": 64,
    # NT-Xent temperature tau (SimCLR uses 0.1-0.5; SSCD 0.05).
    "temperature": 0.1,
    # Weight of the KoLeo entropy regulariser (Sablayrolles et al., 2019), which SSCD adds to spread
    # the embeddings over the sphere; 0 turns it off. (On 3,000 Fashion-MNIST images, 300 steps:
    # top-1 copy retrieval among 1,000 held-out images 0.78 without, 0.82 at 1, 0.76 at 5.)
    "entropyWeight": 1.0,
    # The edits a copy may have undergone, drawn afresh for each of the two views of an image:
    "shift": 2,  # translation by up to this many whole pixels either way
    "cropMin": 0.8,  # keep a square of this fraction of the side or more, resized back
    "brightness": 0.2,  # add a uniform offset in [-b, b] (pixels in [0, 1])
    "contrast": 0.2,  # scale about the image's mean by a factor in [1 - c, 1 + c]
    "noise": 0.1,  # add Gaussian noise, its standard deviation uniform in [0, noise]
    "eraseProbability": 0.5,  # fill a block of eraseMin..eraseMax pixels a side with one grey level
    "eraseMin": 6,
    "eraseMax": 10,
    # Off by default: the DDPM trainer does not flip, so its copies are not mirrored, and on
    # Fashion-MNIST (shoes all face one way) invariance to mirroring would merge distinct items.
    "flip": False,
    # Held-out share of the images for the card's copy-retrieval accuracy.
    "validationFraction": 0.1,
    "checkpointEvery": 250,
    "logEvery": 25,
}


def _fraction(low, high):
    return ((int, float), lambda v: low <= v <= high, f"a number in [{low}, {high}]")


SCHEMA = {
    **contract.COMMON_SCHEMA,
    "steps": (int, lambda v: 1 <= v <= 10_000_000, "an integer in [1, 10000000]"),
    "batchSize": (int, lambda v: 2 <= v <= 4096, "an integer in [2, 4096]"),
    "embeddingDim": (int, lambda v: 2 <= v <= 4096, "an integer in [2, 4096]"),
    "temperature": ((int, float), lambda v: 0.01 <= v <= 10, "a number in [0.01, 10]"),
    "entropyWeight": ((int, float), lambda v: 0 <= v <= 100, "a number in [0, 100]"),
    "shift": (int, lambda v: 0 <= v <= 8, "an integer in [0, 8]"),
    "cropMin": ((int, float), lambda v: 0.5 <= v <= 1, "a number in [0.5, 1]"),
    "brightness": _fraction(0, 1),
    "contrast": _fraction(0, 1),
    "noise": _fraction(0, 1),
    "eraseProbability": _fraction(0, 1),
    "eraseMin": (int, lambda v: 1 <= v <= 64, "an integer in [1, 64]"),
    "eraseMax": (int, lambda v: 1 <= v <= 64, "an integer in [1, 64]"),
    "flip": (bool, lambda v: True, "true or false"),
    "validationFraction": ((int, float), lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
}

# Inputs are pixels / 255, normalised by (x - MEAN) / STD; recorded in the model card.
MEAN, STD = 0.5, 0.5


def build_encoder(image_channels, height, width, embedding_dim):
    import torch.nn.functional as F
    from torch import nn

    class Encoder(nn.Module):
        """Two conv-conv-pool blocks, a hidden layer and a linear embedding, L2-normalised."""

        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(image_channels, 32, 3, padding=1), nn.ReLU(),
                nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(),
                nn.Linear(64 * (height // 4) * (width // 4), 256), nn.ReLU(),
                nn.Linear(256, embedding_dim),
            )

        def forward(self, image):
            # Unit length, so that a dot product of two features is their cosine similarity.
            return F.normalize(self.body(image), dim=1, eps=1e-8)

    return Encoder()


def augment(x, g, config):
    """One random edited view of each image of `x` (N, C, H, W, pixels in [0, 1]), drawn from `g`."""
    import torch
    import torch.nn.functional as F

    n, c, h, w = x.shape
    # Crop and shift as one affine resampling: output (u, v) reads input (s u + tx, s v + ty) in
    # [-1, 1] coordinates; a crop of side s stays inside the image when |offset| <= 1 - s.
    s = config["cropMin"] + (1 - config["cropMin"]) * torch.rand(n, generator=g)
    offset = (2 * torch.rand(n, 2, generator=g) - 1) * (1 - s)[:, None]
    pixels = torch.randint(-config["shift"], config["shift"] + 1, (n, 2), generator=g).float()
    tx = offset[:, 0] + 2 * pixels[:, 0] / w
    ty = offset[:, 1] + 2 * pixels[:, 1] / h
    mirror = torch.ones(n)
    if config["flip"]:
        mirror = 1 - 2 * (torch.rand(n, generator=g) < 0.5).float()
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = s * mirror, tx
    theta[:, 1, 1], theta[:, 1, 2] = s, ty
    grid = F.affine_grid(theta, (n, c, h, w), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    contrast = 1 + config["contrast"] * (2 * torch.rand(n, generator=g) - 1)
    brightness = config["brightness"] * (2 * torch.rand(n, generator=g) - 1)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * contrast[:, None, None, None] + mean + brightness[:, None, None, None]
    sigma = config["noise"] * torch.rand(n, generator=g)
    out = out + sigma[:, None, None, None] * torch.randn(out.shape, generator=g)

    erase = torch.rand(n, generator=g) < config["eraseProbability"]
    lo, hi = config["eraseMin"], config["eraseMax"]
    bh = torch.randint(lo, hi + 1, (n,), generator=g)
    bw = torch.randint(lo, hi + 1, (n,), generator=g)
    top = (torch.rand(n, generator=g) * (h - bh + 1)).floor()
    left = (torch.rand(n, generator=g) * (w - bw + 1)).floor()
    grey = torch.rand(n, generator=g)
    rows, cols = torch.arange(h)[None, :], torch.arange(w)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < (top + bh)[:, None])
    in_cols = (cols >= left[:, None]) & (cols < (left + bw)[:, None])
    block = (in_rows[:, :, None] & in_cols[:, None, :] & erase[:, None, None])[:, None]
    out = torch.where(block, grey[:, None, None, None].expand_as(out), out)
    return out.clamp(0, 1)


def nt_xent(z1, z2, temperature):
    """NT-Xent (Chen et al., 2020, Eq. 1) over the 2N unit-length views: each view's positive is
    the other view of its image, its negatives the other 2N - 2 views."""
    import torch
    import torch.nn.functional as F

    n = z1.shape[0]
    z = torch.cat([z1, z2])
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, target)


def koleo(z):
    """The Kozachenko-Leonenko entropy estimator's loss term (Sablayrolles et al., 2019): minus the
    mean log distance of each unit vector to its nearest neighbour in the batch."""
    import torch

    sim = z @ z.T
    sim = sim.masked_fill(torch.eye(z.shape[0], dtype=torch.bool, device=z.device), -2.0)
    nearest = (2 - 2 * sim.max(dim=1).values).clamp_min(1e-8).sqrt()
    return -torch.log(nearest + 1e-8).mean()


def copy_retrieval(model, x01, g, config, dev):
    """Top-1 accuracy of finding each image's edited copy's original among all of `x01`'s images
    by cosine similarity (chance: 1 / count)."""
    import torch

    with torch.no_grad():
        originals = model(((x01 - MEAN) / STD).to(dev))
        copies = model(((augment(x01, g, config) - MEAN) / STD).to(dev))
        found = (copies @ originals.T).argmax(1).cpu()
    return float((found == torch.arange(x01.shape[0])).float().mean())


def main(args):
    import torch

    config = contract.read_config(args.config, DEFAULTS, SCHEMA)
    if config["eraseMin"] > config["eraseMax"]:
        raise ConfigError(f"--config eraseMin {config['eraseMin']} exceeds eraseMax {config['eraseMax']}")
    x, _, meta = contract.load_images(args.data, 4, "copy-detection CNN")
    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    if config["eraseMax"] > min(h, w):
        raise ConfigError(f"--config eraseMax {config['eraseMax']}: larger than the {w}x{h} images")
    contract.seed_everything(config["seed"], config["threads"])
    x = x / 255.0
    order = torch.randperm(x.shape[0], generator=contract.stream_generator(config["seed"], "validation"))
    n_val = min(1000, int(round(config["validationFraction"] * x.shape[0])))
    val, train = order[:n_val], order[n_val:]
    if train.numel() < 2:
        raise ConfigError(f"validationFraction {config['validationFraction']} leaves under 2 training images")
    xt = x[train]
    dev = contract.device()
    model = build_encoder(c, h, w, config["embeddingDim"]).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=config["learningRate"])
    run = contract.TrainingRun(args, config, {"model": model, "opt": opt}, config["steps"], int(xt.shape[0]))

    model.train()
    while run.running:
        epoch, idx = contract.batch_indices(config["seed"], run.step, xt.shape[0], config["batchSize"])
        g = contract.stream_generator(config["seed"], "step", run.step)
        views = [(augment(xt[idx], g, config) - MEAN) / STD for _ in range(2)]
        z1, z2 = model(views[0].to(dev)), model(views[1].to(dev))
        loss = nt_xent(z1, z2, config["temperature"])
        if config["entropyWeight"]:
            loss = loss + config["entropyWeight"] * koleo(z1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        run.finish_step(loss.item(), 2 * idx.numel(), epoch)

    model.eval()
    retrieval = None
    if n_val >= 2:
        retrieval = copy_retrieval(model, x[val], contract.stream_generator(config["seed"], "validation-edits"), config, dev)
    onnx_path = os.path.join(args.out, "model.onnx")
    export = contract.export_onnx(model.cpu(), (torch.randn(2, c, h, w),), ["image"], ["features"], onnx_path)
    card = {
        "format": "clab.model/v1",
        "trainer": "copy-detection",
        "config": config,
        "image": {"width": w, "height": h, "channels": c},
        "classes": meta["classes"],
        "input": {"name": "image", "width": w, "height": h, "channels": c, "scale": 1 / 255, "mean": [MEAN] * c, "std": [STD] * c},
        "outputs": {"features": f"float32 [batch, {config['embeddingDim']}], the copy-detection embedding, unit length"},
        "featureOutput": "features",
        "normalized": True,
        "steps": run.step,
        "finalLoss": run.last_loss,
        # Held-out images: top-1 retrieval of an edited copy's original among them (chance 1/n).
        "validationRetrieval": retrieval,
        "validationImages": n_val,
        "torch": torch.__version__,
        "export": export,
    }
    contract.write_json(os.path.join(args.out, "model.json"), card)
    metrics = {"finalLoss": run.last_loss, "validationRetrieval": retrieval, "steps": run.step}
    emit("done", files={"onnx": "model.onnx", "card": "model.json"}, metrics=metrics)


if __name__ == "__main__":
    contract.run(main)
