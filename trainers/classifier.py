"""A small CNN classifier. Its penultimate layer is also an embedding for the metrics: the
domain-specific analogue of FID's Inception features (Heusel et al., 2017), named as such in results.
`python -m trainers.classifier --data DIR --out DIR --config JSON [--resume CKPT]`."""

import os

from . import contract
from .contract import ConfigError, emit

DEFAULTS = {
    **contract.COMMON_DEFAULTS,
    "epochs": 3,
    # 0: epochs x (training images // batch size) steps; otherwise exactly this many, whatever the
    # set's size (the contamination study trains every mix, small or large, for the same steps).
    "steps": 0,
    "batchSize": 128,
    "learningRate": 1e-3,
    "featureDim": 128,
    "validationFraction": 0.1,
    "checkpointEvery": 200,
    "logEvery": 50,
}

SCHEMA = {
    **contract.COMMON_SCHEMA,
    "epochs": (int, lambda v: 1 <= v <= 1000, "an integer in [1, 1000]"),
    "steps": (int, lambda v: 0 <= v <= 10_000_000, "an integer in [0, 10000000]"),
    "featureDim": (int, lambda v: 2 <= v <= 4096, "an integer in [2, 4096]"),
    "validationFraction": ((int, float), lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
}

# Inputs are pixels / 255, normalised by (x - MEAN) / STD; recorded in the model card.
MEAN, STD = 0.5, 0.5


def build_cnn(image_channels, height, width, feature_dim, num_classes):
    import torch
    from torch import nn

    class Cnn(nn.Module):
        """conv-pool, conv-pool, a feature layer (the embedding) and a linear classifier."""

        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(image_channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(),
                nn.Linear(64 * (height // 4) * (width // 4), feature_dim), nn.ReLU(),
            )
            self.head = nn.Linear(feature_dim, num_classes)

        def forward(self, image):
            features = self.body(image)
            return self.head(features), features

    return Cnn()


def main(args):
    import torch
    import torch.nn.functional as F

    config = contract.read_config(args.config, DEFAULTS, SCHEMA)
    x, y, meta = contract.load_images(args.data, 4, "CNN")
    contract.seed_everything(config["seed"], config["threads"])
    x = (x / 255.0 - MEAN) / STD
    order = torch.randperm(x.shape[0], generator=contract.stream_generator(config["seed"], "validation"))
    n_val = int(round(config["validationFraction"] * x.shape[0]))
    val, train = order[:n_val], order[n_val:]
    if train.numel() == 0:
        raise ConfigError(f"validationFraction {config['validationFraction']} leaves no training images")
    xt, yt = x[train], y[train]
    num_classes = len(meta["classes"])
    dev = contract.device()
    model = build_cnn(x.shape[1], x.shape[2], x.shape[3], config["featureDim"], num_classes).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=config["learningRate"])
    per_epoch = xt.shape[0] // min(config["batchSize"], xt.shape[0])
    total = config["steps"] or config["epochs"] * per_epoch
    run = contract.TrainingRun(args, config, {"model": model, "opt": opt}, total, int(xt.shape[0]))

    model.train()
    while run.running:
        epoch, idx = contract.batch_indices(config["seed"], run.step, xt.shape[0], config["batchSize"])
        logits, _ = model(xt[idx].to(dev))
        loss = F.cross_entropy(logits, yt[idx].to(dev))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        run.finish_step(loss.item(), idx.numel(), epoch)

    model.eval()
    with torch.no_grad():
        accuracy = None
        if n_val:
            predicted = torch.cat([model(x[val[i : i + 1024]].to(dev))[0].argmax(1).cpu() for i in range(0, n_val, 1024)])
            accuracy = float((predicted == y[val]).float().mean())
    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    onnx_path = os.path.join(args.out, "model.onnx")
    export = contract.export_onnx(model.cpu(), (torch.randn(2, c, h, w),), ["image"], ["logits", "features"], onnx_path)
    card = {
        "format": "clab.model/v1",
        "trainer": "classifier",
        "config": config,
        "image": {"width": w, "height": h, "channels": c},
        "classes": meta["classes"],
        "input": {"name": "image", "width": w, "height": h, "channels": c, "scale": 1 / 255, "mean": [MEAN] * c, "std": [STD] * c},
        "outputs": {"logits": f"float32 [batch, {num_classes}]", "features": f"float32 [batch, {config['featureDim']}], the embedding"},
        "featureOutput": "features",
        "steps": run.step,
        "finalLoss": run.last_loss,
        "validationAccuracy": accuracy,
        "torch": torch.__version__,
        "export": export,
    }
    contract.write_json(os.path.join(args.out, "model.json"), card)
    emit("done", files={"onnx": "model.onnx", "card": "model.json"}, metrics={"finalLoss": run.last_loss, "validationAccuracy": accuracy, "steps": run.step})


if __name__ == "__main__":
    contract.run(main)
