"""Train the horn models from nothing but code, with one command and a fixed seed:

    python3 models/training/train.py   # ~12 min on 2 idle cores (19 min shared); torch==2.13.0, onnx

What it does, in order:
1. Makes training windows and validation clips with `dataset.make_split` (simulated horns, sirens
   and confusers, reverberated, mixed at −5…25 dB SNR over traffic, through a recording chain),
   then scales every window to the runtime's patch level (`normalise_level`).
2. Runs the shipped `models/yamnet.onnx` over them (the same wrapper the edge uses).
3. Trains `YamnetScoreHead` (other / horn / siren) on YAMNet's class scores and embeddings: only
   YAMNet's horn classes can raise p(horn), only its siren classes p(siren) (see `nets.py` for why).
4. Chooses the horn threshold on the validation clips scored with the runtime's clip rule: the
   F1-best one (see `MIN_PRECISION`).
5. Distils `CompactCnn` (log-mel in, same three classes) from the head's probabilities and the
   ground truth: 50/50 soft-target mix; YAMNet's judgement reaches the small model this way.
6. Exports both to ONNX (opset 17, dynamic batch), writes a golden fixture for the parity test
   and the training half of the model card `models/horn_classifier.json` (evaluate.py adds
   the measured metrics).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.classifier import features  # noqa: E402
from edge.classifier.card import CARD_NAME  # noqa: E402
from edge.classifier.classifier import (  # noqa: E402
    PATCH_LEVEL_DBFS,
    SILENT_PROBS,
    level_normalised_patches,
    normalise_level,
)
from edge.classifier.yamnet import Yamnet  # noqa: E402
from models.training import dataset, nets  # noqa: E402
from models.training.yamnet_features import embed  # noqa: E402

MODELS = ROOT / "models"
HEAD_FILE = "horn_head.onnx"
YAMNET_GATE = 0.1  # see `HornClassifier._patch_probs`: set from real recordings, not from training data
YAMNET_RIVALS = {392: "Buzzer", 382: "Alarm", 325: "Train horn", 324: "Train whistle"}  # (same)
CNN_FILE = "horn_cnn.onnx"
GOLDEN_NAME = "golden.npz"  # written beside this script (models/training/) when --out is models/
CAVEATS = (
    "Training and the held-out set are simulated (edge.sim.signals + models/training/sources.py): the "
    "held-out numbers measure generalisation to new draws of the same simulator, not to real streets. "
    "The only real, labelled audio here is the OpenSFX set (models/training/opensfx.py: 2 real vehicle "
    "horns, ~56 real or game non-horn sounds); it is far too small to certify the real-world targets "
    "(ROC AUC >= 0.99, F1 >= 0.93), which remain unmeasured. What it did show: the first, unconstrained "
    "head (embedding MLP) had learnt the simulator's quirks (YAMNet hears our synthetic air horns as "
    "geese and our e-bike buzzers as beeps) and called a real sheep, a level-crossing bell and a sawmill "
    "horns, and it was trained on raw-level windows but run on level-normalised ones. The shipped head "
    "is therefore constrained to YAMNet's own horn and siren classes (plus a bounded correction), trained "
    "on windows normalised exactly as the runtime does, and its threshold is the F1-best one rather than "
    "a precision-0.99 one tuned to simulated clips. It cannot call a horn what YAMNet does not hear as "
    "one: simulated e-bike and 1-3 kHz horns, which YAMNet often hears as beeps, lose recall. The compact "
    "CNN has only ever seen simulated audio (its teacher's judgement is the only real-world knowledge it "
    "gets); check it on real recordings before trusting it. Siren rule: a clip with a siren anywhere is "
    "never a horn, so in the detector a loud siren leaking into the beam toward another vehicle's horn "
    "vetoes that horn too."
)


def _torch():
    import torch

    return torch


def train_head(
    emb: np.ndarray, scores: np.ndarray, labels: np.ndarray, seed: int, epochs: int = 40, model=None
):
    """Train a head (default `nets.YamnetScoreHead`) on YAMNet's outputs with cross-entropy."""
    torch = _torch()
    torch.manual_seed(seed)
    model = model if model is not None else nets.YamnetScoreHead()
    # Weight decay only on the free layers: the constrained weights pass through softplus, and
    # decaying their raw value toward 0 would push every weight toward softplus(0) = 0.69.
    constrained = ("horn_pos", "siren_pos", "neg", "bias")
    named = list(model.named_parameters())
    opt = torch.optim.AdamW(
        [
            {"params": [p for n, p in named if not n.startswith(constrained)], "weight_decay": 1e-2},
            {"params": [p for n, p in named if n.startswith(constrained)], "weight_decay": 0.0},
        ],
        lr=5e-3,
    )
    e, s, y = torch.from_numpy(emb), torch.from_numpy(scores), torch.from_numpy(labels)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(y), generator=gen).split(128):
            loss = torch.nn.functional.cross_entropy(
                model.logits(e[idx], s[idx]), y[idx], label_smoothing=0.05
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def head_probs(model, emb: np.ndarray, scores: np.ndarray) -> np.ndarray:
    torch = _torch()
    with torch.no_grad():
        return model(torch.from_numpy(emb), torch.from_numpy(scores)).numpy()


def train_cnn(mels: np.ndarray, soft: np.ndarray, seed: int, epochs: int = 12):
    torch = _torch()
    torch.manual_seed(seed)
    model = nets.CompactCnn(mean=float(mels.mean()), std=float(mels.std()))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * -(-len(mels) // 64))
    x, t = torch.from_numpy(mels), torch.from_numpy(soft)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(x), generator=gen).split(64):
            xb = x[idx]
            # Time shift: the horn may sit anywhere in the patch.
            xb = torch.roll(xb, int(torch.randint(-20, 21, (1,), generator=gen)), dims=1)
            logp = torch.log_softmax(model.logits(xb), dim=1)
            loss = -(t[idx] * logp).sum(dim=1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"  cnn epoch {epoch + 1}/{epochs} loss {total / len(x):.4f}", flush=True)
    model.eval()
    return model


def cnn_probs(model, mels: np.ndarray) -> np.ndarray:
    torch = _torch()
    with torch.no_grad():
        return np.concatenate(
            [model(torch.from_numpy(b)).numpy() for b in np.array_split(mels, -(-len(mels) // 256))]
        )


def clip_probs_head(head, yam: Yamnet, clips: np.ndarray) -> np.ndarray:
    """[n, 3] per clip: max p(other), max p(horn), max p(siren) over the clip's patches, each
    patch level-normalised exactly as the runtime does it."""
    out = np.empty((len(clips), 3), np.float32)
    for i, clip in enumerate(clips):
        probs = []
        for _, patch in level_normalised_patches(clip):
            if patch is None:
                probs.append(SILENT_PROBS)
                continue
            sc, emb = yam.run(patch)
            probs.append(head_probs(head, emb[:1], sc[:1])[0])
        out[i] = np.max(probs, axis=0)
    return out


def clip_probs_cnn(cnn, clips: np.ndarray) -> np.ndarray:
    out = np.empty((len(clips), 3), np.float32)
    for i, clip in enumerate(clips):
        pats = level_normalised_patches(clip)
        mels = np.stack(
            [features.log_mel(p) for _, p in pats if p is not None] or [np.zeros((96, 64), np.float32)]
        )
        out[i] = cnn_probs(cnn, mels).max(axis=0)
    return out


def clip_rule(p_max: np.ndarray) -> np.ndarray:
    """The runtime's clip verdict: max p(horn) × (1 − max p(siren))."""
    return p_max[:, 1] * (1.0 - p_max[:, 2])


# The shipped threshold is the F1-best one on the simulated validation clips. A threshold tuned to
# precision ≥ 0.99 there (the first models' rule) sat at 0.9+, above the scores real car horns get
# from a YAMNet-anchored head: simulator precision does not transfer, and the F1-best point does
# better on real audio. `choose_threshold` keeps the precision rule for other callers.
MIN_PRECISION = 1.01  # i.e. no precision floor: plain F1-best


def choose_threshold(p_horn: np.ndarray, is_horn: np.ndarray, min_precision: float = 0.99) -> float:
    """The F1-best threshold among those with precision ≥ `min_precision` (else the F1-best)."""
    best, best_any = (-1.0, 0.5), (-1.0, 0.5)
    for thr in np.round(np.arange(0.05, 0.96, 0.01), 2):
        pred = p_horn >= thr
        tp = np.sum(pred & is_horn)
        prec = tp / max(1, pred.sum())
        rec = tp / max(1, is_horn.sum())
        f1 = 2 * prec * rec / max(1e-9, prec + rec)
        best_any = max(best_any, (f1, float(thr)))
        if prec >= min_precision:
            best = max(best, (f1, float(thr)))
    return best[1] if best[0] >= 0 else best_any[1]


def export(model, args: tuple, names: list[str], path: Path) -> None:
    torch = _torch()
    torch.onnx.export(
        model,
        args,
        str(path),
        input_names=names,
        output_names=["probs"],
        opset_version=17,
        dynamic_axes={**{n: {0: "batch"} for n in names}, "probs": {0: "batch"}},
        dynamo=False,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the horn head and the compact CNN.")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--train", type=int, default=9000, help="training windows")
    parser.add_argument("--val", type=int, default=800, help="validation clips (1.5-5 s)")
    parser.add_argument("--workers", type=int, default=2, help="processes for data generation")
    parser.add_argument("--cnn-epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=MODELS, help="where the models and card go")
    args = parser.parse_args()
    out = args.out
    (out / "training").mkdir(parents=True, exist_ok=True)
    torch = _torch()
    torch.set_num_threads(2)
    t0 = time.time()

    print(f"generating {args.train} windows + {args.val} clips …", flush=True)
    train = dataset.make_split(args.train, args.seed + 1, workers=args.workers)
    val = dataset.make_split(args.val, args.seed + 2, workers=args.workers, clip_s=(1.5, 5.0))
    print(f"  {time.time() - t0:.0f} s; YAMNet features …", flush=True)
    # Every window at the runtime's patch level (no window is silent: each has a traffic bed).
    waves = np.stack([normalise_level(w) for w in train.waves])
    tr_emb, tr_sc = embed(waves)

    print(f"  {time.time() - t0:.0f} s; training the head …", flush=True)
    head = train_head(tr_emb, tr_sc, train.labels, args.seed)
    yam = Yamnet()
    va_head = clip_rule(clip_probs_head(head, yam, val.waves))
    head_thr = choose_threshold(va_head, val.labels == 1, MIN_PRECISION)
    print(f"  head: clip threshold {head_thr}", flush=True)

    print(f"  {time.time() - t0:.0f} s; distilling the compact CNN …", flush=True)
    tr_mel = np.stack([features.log_mel(w) for w in waves])
    teacher = head_probs(head, tr_emb, tr_sc)
    soft = (0.5 * np.eye(3, dtype=np.float32)[train.labels] + 0.5 * teacher).astype(np.float32)
    cnn = train_cnn(tr_mel, soft, args.seed, epochs=args.cnn_epochs)
    cnn_thr = choose_threshold(clip_rule(clip_probs_cnn(cnn, val.waves)), val.labels == 1, MIN_PRECISION)
    print(f"  cnn: clip threshold {cnn_thr}", flush=True)

    export(
        head,
        (torch.from_numpy(tr_emb[:2]), torch.from_numpy(tr_sc[:2])),
        ["embeddings", "scores"],
        out / HEAD_FILE,
    )
    export(cnn, (torch.from_numpy(tr_mel[:2]),), ["log_mel"], out / CNN_FILE)

    # Golden fixture: a fixed horn window, its features and both models' outputs, so a change
    # to features.py or to the runtime that drifts from training fails a test.
    first = int(np.flatnonzero(train.labels == 1)[0])
    golden_wave = waves[first]
    np.savez_compressed(
        out / "training" / GOLDEN_NAME,
        wave=golden_wave,
        log_mel=tr_mel[first],
        cnn_probs=cnn_probs(cnn, tr_mel[first : first + 1]),
        head_probs=head_probs(head, tr_emb[first : first + 1], tr_sc[first : first + 1]),
    )

    card_path = out / CARD_NAME
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    recipe = {
        "command": "python3 models/training/train.py",
        "seed": args.seed,
        "torch": torch.__version__,
        "train_windows": args.train,
        "cnn_epochs": args.cnn_epochs,
        "val_clips": args.val,
        "threshold_rule": "F1-best clip threshold on the simulated validation clips (no precision floor: a "
        "threshold tuned to precision 0.99 on simulated clips sat above real car horns' scores)",
        "train_class_counts": {c: int(np.sum(train.labels == i)) for i, c in enumerate(dataset.CLASSES)},
        "snr_db": [-5.0, 25.0],
        "augmentation": "pass-by Doppler and level swell (30 % of horns and sirens), street impulse "
        "responses (RT60 0.1-1.2 s, ground + facade echoes), band-limiting, microphone colouration "
        "(random peaks/dips, HF roll-off), soft-clip compression, mic self-noise, level -45..-12 dBFS, "
        f"clipping; then every window scaled to {PATCH_LEVEL_DBFS} dBFS RMS as the runtime does",
        "sources": "edge.sim.signals + models/training/sources.py (horns: car/truck/bus/scooter/ebike "
        "and 'high' = scooter/ebike pitched to 1-3 kHz, patterns "
        + json.dumps(dataset.HORN_PATTERN_WEIGHTS)
        + "; sirens: "
        + json.dumps(dataset.SIREN_KIND_WEIGHTS)
        + " (twotone = European two-tone with horn timbre); confusers: "
        + ", ".join(sorted(dataset.TRAIN_CONFUSERS))
        + "; backgrounds: traffic beds, wind, rain)",
        "labels": "horn = a horn sounds >= 80 ms in the window and no siren; siren = >= 0.7 s of a siren "
        "(with or without a horn); other = everything else",
        "head": "YamnetScoreHead: only YAMNet classes 302/303/312 can raise p(horn) and only 316-319/390/391 "
        "p(siren); any class can lower them; the embedding adds a correction bounded to +-2 logits",
        "seconds": round(time.time() - t0),
    }
    card.update(
        {
            "name": "honkwatch horn classifier",
            "classes": list(dataset.CLASSES),
            "features": {
                "sample_rate": features.SAMPLE_RATE,
                "window_samples": features.WINDOW_SAMPLES,
                "stft_window": features.STFT_WINDOW,
                "stft_hop": features.STFT_HOP,
                "fft_length": features.FFT_LENGTH,
                "mel_bands": features.MEL_BANDS,
                "mel_range_hz": [features.MEL_LOW_HZ, features.MEL_HIGH_HZ],
                "log_offset": features.LOG_OFFSET,
                "patch_frames": features.PATCH_FRAMES,
                "patch_hop_frames": 48,
                "mono": "mean over channels",
                "resampling": "scipy.signal.resample_poly to 16 kHz",
                "patch_level_dbfs": PATCH_LEVEL_DBFS,
            },
            "clip_rule": "p(horn) of a patch is scaled by min(1, YAMNet's own 302+312 score / yamnet_gate) and "
            "scaled by (302+312 score / rival score)^2 where YAMNet scores a rival class (yamnet_rivals: "
            + ", ".join(f"{i} {name}" for i, name in YAMNET_RIVALS.items())
            + ") above that 302+312 score (yamnet_head); "
            "horn_probability = max over patches of p(horn) x (1 - max over patches of p(siren)); is_horn = "
            "horn_probability >= threshold and max p(siren) < siren_veto. A siren anywhere in the clip vetoes it.",
            "default_variant": "yamnet_head",
            "siren_veto": 0.5,
            "caveats": CAVEATS,
            "training": recipe,
        }
    )
    variants = card.setdefault("variants", {})
    variants["yamnet_head"] = {
        "files": {"yamnet": "yamnet.onnx", "head": HEAD_FILE},
        "sha256": {"yamnet.onnx": sha256(MODELS / "yamnet.onnx"), HEAD_FILE: sha256(out / HEAD_FILE)},
        "threshold": head_thr,
        "description": "YAMNet (AudioSet) class scores -> constrained evidence head (horn from classes "
        "302/303/312, siren from 316-319/390/391, any class against) + bounded embedding correction -> 3 classes",
        # The runtime's checks against real audio (`HornClassifier._patch_probs`): a retrained head keeps them.
        "yamnet_gate": YAMNET_GATE,
        "yamnet_rivals": list(YAMNET_RIVALS),
    }
    variants["compact_cnn"] = {
        "files": {"cnn": CNN_FILE},
        "sha256": {CNN_FILE: sha256(out / CNN_FILE)},
        "threshold": cnn_thr,
        "size_bytes": (out / CNN_FILE).stat().st_size,
        "description": "4-block log-mel CNN (16-32-48-64 channels), distilled from yamnet_head (simulated audio only)",
    }
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    print(f"done in {time.time() - t0:.0f} s; wrote {HEAD_FILE}, {CNN_FILE}, {CARD_NAME}")


if __name__ == "__main__":
    main()
