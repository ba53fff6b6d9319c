"""A class-conditional DDPM for small images (Ho et al., 2020) with classifier-free guidance by
label dropout (Ho & Salimans, 2022), or with `conditional: false` an unconditional one (the null
label always; the replication audit's setting, Somepalli et al., 2023).
`python -m trainers.ddpm --data DIR --out DIR --config JSON`."""

import math
import os

from . import contract
from .contract import ConfigError, emit
from .schedules import alphas_cumprod, betas_for

DEFAULTS = {
    **contract.COMMON_DEFAULTS,
    "steps": 2000,
    "batchSize": 64,
    "learningRate": 1e-3,
    "warmupSteps": 100,
    "emaDecay": 0.999,
    "channels": [32, 64, 64],
    "timesteps": 1000,
    "schedule": "cosine",
    "labelDropout": 0.1,
    # false: every training image gets the null label, so the labels are ignored; the card says
    # `conditional: false` and samplers must feed the null label without guidance.
    "conditional": True,
    "checkpointEvery": 250,
    "logEvery": 25,
}

SCHEMA = {
    **contract.COMMON_SCHEMA,
    "steps": (int, lambda v: v >= 1, "a positive integer"),
    "warmupSteps": (int, lambda v: v >= 0, "a non-negative integer"),
    "emaDecay": ((int, float), lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "channels": (list, lambda v: len(v) == 3 and all(isinstance(c, int) and 8 <= c <= 512 and c % 8 == 0 for c in v), "three multiples of 8 in [8, 512]"),
    "timesteps": (int, lambda v: 10 <= v <= 10000, "an integer in [10, 10000]"),
    "schedule": (str, lambda v: v in ("linear", "cosine"), "'linear' or 'cosine'"),
    "labelDropout": ((int, float), lambda v: 0 <= v < 1, "a probability in [0, 1)"),
    "conditional": (bool, lambda v: True, "true or false"),
}


def build_unet(channels, image_channels, num_classes):
    import torch
    from torch import nn
    import torch.nn.functional as F

    c0, c1, c2 = channels
    emb_dim = 4 * c0

    def norm(c):
        return nn.GroupNorm(8, c)

    class ResBlock(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.norm1, self.conv1 = norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
            self.emb = nn.Linear(emb_dim, cout)
            self.norm2, self.conv2 = norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
            self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x, emb):
            h = self.conv1(F.silu(self.norm1(x)))
            h = h + self.emb(emb)[:, :, None, None]
            h = self.conv2(F.silu(self.norm2(h)))
            return h + self.skip(x)

    class UNet(nn.Module):
        """28x28 -> 14x14 -> 7x7 and back, with skips; time and class enter every block."""

        def __init__(self):
            super().__init__()
            self.time_mlp = nn.Sequential(nn.Linear(c0, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
            # Index num_classes is the null label of classifier-free guidance.
            self.label_emb = nn.Embedding(num_classes + 1, emb_dim)
            self.conv_in = nn.Conv2d(image_channels, c0, 3, padding=1)
            self.down0 = ResBlock(c0, c0)
            self.pool0 = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
            self.down1 = ResBlock(c0, c1)
            self.pool1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
            self.mid0 = ResBlock(c1, c2)
            self.mid1 = ResBlock(c2, c2)
            self.up1 = ResBlock(c2 + c1, c1)
            self.up0 = ResBlock(c1 + c0, c0)
            self.norm_out = norm(c0)
            self.conv_out = nn.Conv2d(c0, image_channels, 3, padding=1)

        def timestep_embedding(self, t):
            # Sinusoidal position embedding of t (Vaswani et al., 2017; Ho et al., 2020, Sec. 4).
            half = c0 // 2
            freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
            args = t.float()[:, None] * freqs[None, :]
            return torch.cat([torch.sin(args), torch.cos(args)], dim=1)

        def forward(self, sample, timestep, class_label):
            emb = F.silu(self.time_mlp(self.timestep_embedding(timestep)) + self.label_emb(class_label))
            h0 = self.down0(self.conv_in(sample), emb)
            h1 = self.down1(self.pool0(h0), emb)
            h = self.mid1(self.mid0(self.pool1(h1), emb), emb)
            h = self.up1(torch.cat([F.interpolate(h, scale_factor=2.0, mode="nearest"), h1], 1), emb)
            h = self.up0(torch.cat([F.interpolate(h, scale_factor=2.0, mode="nearest"), h0], 1), emb)
            return self.conv_out(F.silu(self.norm_out(h)))

    return UNet()


def main(args):
    import copy

    import torch
    import torch.nn.functional as F

    config = contract.read_config(args.config, DEFAULTS, SCHEMA)
    x, y, meta = contract.load_images(args.data, 4, "UNet")
    contract.seed_everything(config["seed"], config["threads"])
    x = x / 127.5 - 1.0  # pixels to [-1, 1]
    count, num_classes = x.shape[0], len(meta["classes"])

    dev = contract.device()
    model = build_unet(config["channels"], x.shape[1], num_classes).to(dev)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=config["learningRate"], weight_decay=0.0)
    abar = torch.tensor(alphas_cumprod(betas_for(config["schedule"], config["timesteps"])), dtype=torch.float32, device=dev)
    run = contract.TrainingRun(args, config, {"model": model, "ema": ema, "opt": opt}, config["steps"], count)

    model.train()
    while run.running:
        step = run.step
        epoch, idx = contract.batch_indices(config["seed"], step, count, config["batchSize"])
        g = contract.stream_generator(config["seed"], "step", step)
        x0, labels = x[idx].to(dev), y[idx].clone()
        t = torch.randint(0, config["timesteps"], (x0.shape[0],), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        drop = torch.rand(x0.shape[0], generator=g) < config["labelDropout"]
        labels[drop | (not config["conditional"])] = num_classes
        t, noise, labels = t.to(dev), noise.to(dev), labels.to(dev)
        # Ho et al. (2020), Eq. 4 and Algorithm 1: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps,
        # loss ||eps - eps_theta(x_t, t, y)||^2.
        a = abar[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        loss = F.mse_loss(model(xt, t, labels), noise)
        for group in opt.param_groups:
            group["lr"] = config["learningRate"] * min(1.0, (step + 1) / max(1, config["warmupSteps"]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        decay = min(config["emaDecay"], (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        run.finish_step(loss.item(), x0.shape[0], epoch)

    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    example = (torch.randn(2, c, h, w), torch.tensor([0, config["timesteps"] - 1]), torch.tensor([0, num_classes]))
    onnx_path = os.path.join(args.out, "model.onnx")
    export = contract.export_onnx(ema.cpu(), example, ["sample", "timestep", "class_label"], ["noise"], onnx_path)
    card = {
        "format": "clab.model/v1",
        "trainer": "ddpm",
        "config": config,
        "image": {"width": w, "height": h, "channels": c},
        "classes": meta["classes"],
        "nullClass": num_classes,
        # false: trained on the null label only; sample with nullClass and guidance 1.
        "conditional": config["conditional"],
        "predictionType": "epsilon",
        "schedule": {"kind": config["schedule"], "timesteps": config["timesteps"], "betaStart": 1e-4, "betaEnd": 0.02},
        "inputs": {"sample": "float32 [batch, channels, height, width] in [-1, 1] scale", "timestep": "int64 [batch]", "class_label": "int64 [batch]; nullClass = unconditional"},
        "outputs": {"noise": "float32 [batch, channels, height, width], the predicted eps"},
        "steps": run.step,
        "finalLoss": run.last_loss,
        "torch": torch.__version__,
        "export": export,
    }
    contract.write_json(os.path.join(args.out, "model.json"), card)
    emit("done", files={"onnx": "model.onnx", "card": "model.json"}, metrics={"finalLoss": card["finalLoss"], "steps": run.step})


if __name__ == "__main__":
    contract.run(main)
