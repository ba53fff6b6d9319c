"""The trainer contract shared by every trainer.

    python -m trainers.<name> --data DIR --out DIR --config JSON [--resume CKPT]

DIR holds `images.u8` (count x height x width x channels, uint8, row-major), `labels.u8` (count
bytes) and `meta.json` ({count, width, height, channels, classes}). The trainer prints JSON lines on
stdout: `progress` (epoch, step, loss), `checkpoint` (step, path), `done` (files, metrics) and
`error` (message, kind). Exit codes: 0 done, 2 configuration or data error (retrying cannot help),
1 any other failure (a retry may help).
"""

import argparse
import hashlib
import json
import os
import sys
import time
import traceback

EXIT_CONFIG_ERROR = 2
EXIT_CRASH = 1


class ConfigError(Exception):
    """A bad --config, --data or --resume: the run cannot succeed as asked."""


# Settings every trainer takes. crashAfterSteps is a test hook: raise after this many steps of
# this process (a crash that a retry recovers from).
COMMON_DEFAULTS = {"seed": 0, "threads": 1, "crashAfterSteps": 0}

COMMON_SCHEMA = {
    "seed": (int, lambda v: 0 <= v < 2**31, "an integer in [0, 2^31)"),
    "batchSize": (int, lambda v: 1 <= v <= 4096, "an integer in [1, 4096]"),
    "learningRate": ((int, float), lambda v: 0 < v < 1, "a number in (0, 1)"),
    "checkpointEvery": (int, lambda v: v >= 1, "a positive integer"),
    "logEvery": (int, lambda v: v >= 1, "a positive integer"),
    "threads": (int, lambda v: 1 <= v <= 256, "an integer in [1, 256]"),
    "crashAfterSteps": (int, lambda v: v >= 0, "a non-negative integer"),
}


def emit(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}, sort_keys=True) + "\n")
    sys.stdout.flush()


def parse_args(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="staged dataset directory")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--config", required=True, help="JSON object of trainer settings")
    parser.add_argument("--resume", help="checkpoint to continue from")
    return parser.parse_args(argv)


def read_config(text, defaults, schema):
    """Merges a JSON config over `defaults`; `schema` maps key -> (type, check, description)."""
    try:
        given = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"--config is not valid JSON: {e}")
    if not isinstance(given, dict):
        raise ConfigError("--config must be a JSON object")
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ConfigError(f"--config has unknown keys {unknown}; known: {sorted(defaults)}")
    config = {**defaults, **given}
    for key, (kind, check, description) in schema.items():
        value = config[key]
        ok_type = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if not ok_type or not check(value):
            raise ConfigError(f"--config {key}: expected {description}, got {json.dumps(value)}")
    return config


def load_dataset(directory):
    """The staged images as a float tensor in [-1, 1] (N, C, H, W) and int64 labels."""
    import numpy as np
    import torch

    meta_path = os.path.join(directory, "meta.json")
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        count, h, w, c = meta["count"], meta["height"], meta["width"], meta["channels"]
        classes = meta["classes"]
    except (OSError, ValueError, KeyError) as e:
        raise ConfigError(f"{meta_path}: cannot read dataset metadata: {e}")
    images = np.fromfile(os.path.join(directory, "images.u8"), dtype=np.uint8)
    labels = np.fromfile(os.path.join(directory, "labels.u8"), dtype=np.uint8)
    if images.size != count * h * w * c:
        raise ConfigError(
            f"{directory}/images.u8: holds {images.size} bytes, meta.json says {count}x{h}x{w}x{c}"
        )
    if labels.size != count:
        raise ConfigError(f"{directory}/labels.u8: holds {labels.size} labels, expected {count}")
    if count == 0:
        raise ConfigError(f"{directory}: the dataset is empty")
    if labels.max() >= len(classes):
        raise ConfigError(f"{directory}/labels.u8: label {labels.max()} >= {len(classes)} classes")
    x = torch.from_numpy(images.reshape(count, h, w, c).copy()).permute(0, 3, 1, 2).float()
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y, meta


_PARENT = os.getppid()


def check_parent():
    """Stops the trainer when the process that started it is gone (a killed worker leaves no orphan)."""
    if os.getppid() != _PARENT:
        raise SystemExit(f"the parent process {_PARENT} exited; stopping")


def device():
    """The torch device from CLAB_TRAINER_DEVICE (cpu by default; results are byte-reproducible on
    CPU only). An execution setting, not part of the config: it does not change what is trained."""
    import torch

    name = os.environ.get("CLAB_TRAINER_DEVICE", "cpu") or "cpu"
    if name != "cpu" and not (name.startswith("cuda") and torch.cuda.is_available()):
        raise ConfigError(f"CLAB_TRAINER_DEVICE={name}: this torch ({torch.__version__}) cannot use it")
    return torch.device(name)


def load_images(directory, multiple_of, model_name):
    """load_dataset, refusing images whose sides the model's down-sampling cannot halve twice."""
    x, y, meta = load_dataset(directory)
    if meta["height"] % multiple_of or meta["width"] % multiple_of:
        raise ConfigError(
            f"{directory}: images are {meta['width']}x{meta['height']}; the {model_name} needs sides divisible by {multiple_of}"
        )
    return x, y, meta


class TrainingRun:
    """The bookkeeping every trainer shares: resuming `state` objects (modules and optimizers, by
    name) from --resume, the step counter, the loss window of `progress` events, checkpoints every
    `checkpointEvery` steps and at the end, the crash test hook and the parent-process watch."""

    def __init__(self, args, config, state, total_steps, count):
        self.args, self.config, self.state, self.total = args, config, state, total_steps
        self.step, self.steps_here, self.meter = 0, 0, Throughput()
        self.loss_sum, self.loss_count, self.last_loss = 0.0, 0, None
        if args.resume:
            saved = load_checkpoint(args.resume)
            if saved.get("config") != config:
                raise ConfigError(f"--resume {args.resume}: the checkpoint was trained with another config")
            for name, obj in state.items():
                obj.load_state_dict(saved[name])
            self.step = saved["step"]
            self.loss_sum, self.loss_count, self.last_loss = saved["lossSum"], saved["lossCount"], saved["lastLoss"]
        parameters = sum(p.numel() for p in state["model"].parameters())
        emit("start", step=self.step, resumedFrom=args.resume, count=count, parameters=parameters)

    @property
    def running(self):
        return self.step < self.total

    def finish_step(self, loss, images, epoch):
        """Records one optimisation step: progress, checkpoint and crash hook when they are due."""
        self.step += 1
        self.steps_here += 1
        self.meter.add(images)
        self.loss_sum, self.loss_count = self.loss_sum + loss, self.loss_count + 1
        check_parent()
        if self.step % self.config["logEvery"] == 0 or self.step == self.total:
            self.last_loss = self.loss_sum / self.loss_count
            emit("progress", epoch=epoch, step=self.step, steps=self.total, loss=self.last_loss, imagesPerSecond=self.meter.rate())
            self.loss_sum, self.loss_count = 0.0, 0
        if self.step % self.config["checkpointEvery"] == 0 or self.step == self.total:
            save_checkpoint(
                self.args.out,
                self.step,
                {
                    "step": self.step,
                    "config": self.config,
                    **{name: obj.state_dict() for name, obj in self.state.items()},
                    "lossSum": self.loss_sum,
                    "lossCount": self.loss_count,
                    "lastLoss": self.last_loss,
                },
            )
        crash_after = self.config["crashAfterSteps"]
        if crash_after and self.steps_here >= crash_after and self.running:
            raise RuntimeError(f"crashAfterSteps={crash_after} reached at step {self.step} (test hook)")


def seed_everything(seed, threads):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def stream_generator(seed, *names):
    """A torch.Generator for the named random stream of `seed` (independent of call order)."""
    import torch

    digest = hashlib.sha256(json.dumps([seed, *names]).encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))


def batch_indices(seed, step, count, batch_size):
    """Indices of the step's minibatch: epochs are seeded permutations, the last partial batch dropped."""
    import torch

    size = min(batch_size, count)
    per_epoch = count // size
    epoch, offset = divmod(step, per_epoch)
    perm = torch.randperm(count, generator=stream_generator(seed, "epoch", epoch))
    return epoch, perm[offset * size : (offset + 1) * size]


def save_checkpoint(out_dir, step, state):
    """Writes a checkpoint atomically (temp file + rename) and announces it."""
    import torch

    directory = os.path.join(out_dir, "checkpoints")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"step-{step:08d}.pt")
    tmp = path + ".partial"
    torch.save(_interned(state), tmp)
    os.replace(tmp, path)
    emit("checkpoint", step=step, path=path)
    return path


def _interned(value):
    """The same state with every string interned. Pickle memoises objects by identity, so a state
    whose keys were unpickled from a checkpoint would serialise to other bytes than the same state
    built in-process; interning makes a resumed run's checkpoints byte-identical to an
    uninterrupted run's."""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        return {_interned(k): _interned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_interned(v) for v in value)
    return value


def load_checkpoint(path):
    import torch

    try:
        return torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - any unreadable file is the caller's input error
        raise ConfigError(f"--resume {path}: cannot load checkpoint: {e}")


def export_onnx(model, example_inputs, input_names, output_names, path, opset=17, atol=1e-4):
    """Exports with the TorchScript-based exporter (fixed opset, dynamic batch axis), checks the
    ONNX model against PyTorch on a few batches with onnxruntime, then moves it into place."""
    import inspect

    import numpy as np
    import torch

    try:
        import onnxruntime as ort
    except ImportError:
        raise RuntimeError("onnxruntime for Python is missing: run `npm run setup:trainers`")

    import warnings

    # Torch 1.13's exporter warns about constant shape inference on every graph; not actionable.
    warnings.filterwarnings("ignore", message="The shape inference of prim::Constant", category=UserWarning)
    model.eval()
    tmp = path + ".partial"
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # PyTorch >= 2.9 defaults to the dynamo exporter
    torch.onnx.export(
        model,
        example_inputs,
        tmp,
        input_names=input_names,
        output_names=output_names,
        dynamic_axes={name: {0: "batch"} for name in input_names + output_names},
        opset_version=opset,
        do_constant_folding=True,
        **kwargs,
    )
    session = ort.InferenceSession(tmp, providers=["CPUExecutionProvider"])
    worst = 0.0
    for batch in (1, 3, 8):
        inputs = tuple(_resize_batch(t, batch, seed=batch) for t in example_inputs)
        with torch.no_grad():
            expected = model(*inputs)
        expected = expected if isinstance(expected, tuple) else (expected,)
        got = session.run(None, {n: t.numpy() for n, t in zip(input_names, inputs)})
        for name, e, g in zip(output_names, expected, got):
            e = e.numpy()
            if e.shape != g.shape:
                raise RuntimeError(f"ONNX export: output {name} has shape {g.shape}, PyTorch {e.shape}")
            diff = float(np.max(np.abs(e - g)) / max(1.0, float(np.max(np.abs(e)))))
            worst = max(worst, diff)
    if worst > atol:
        os.remove(tmp)
        raise RuntimeError(f"ONNX export differs from PyTorch by {worst:.3g} (relative), over {atol}")
    os.replace(tmp, path)
    return {"opset": opset, "maxRelativeError": worst}


def _resize_batch(t, batch, seed):
    import torch

    g = torch.Generator().manual_seed(seed)
    if t.dtype.is_floating_point:
        return torch.randn((batch, *t.shape[1:]), generator=g, dtype=t.dtype)
    high = int(t.max().item()) + 1
    return torch.randint(0, max(high, 1), (batch, *t.shape[1:]), generator=g, dtype=t.dtype)


def write_json(path, value):
    tmp = path + ".partial"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def run(main):
    """Runs a trainer's main(args) under the contract's error handling and exit codes."""
    args = parse_args()
    try:
        os.makedirs(args.out, exist_ok=True)
        main(args)
    except ConfigError as e:
        emit("error", kind="config", message=str(e))
        print(f"config error: {e}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    except Exception as e:  # noqa: BLE001 - report every crash on the contract's channel
        traceback.print_exc()
        emit("error", kind="crash", message=f"{type(e).__name__}: {e}")
        sys.exit(EXIT_CRASH)


class Throughput:
    """Images per second since the last call."""

    def __init__(self):
        self.t = time.perf_counter()
        self.images = 0

    def add(self, n):
        self.images += n

    def rate(self):
        now = time.perf_counter()
        rate = self.images / max(now - self.t, 1e-9)
        self.t, self.images = now, 0
        return rate
