"""`honk-edge classify FILE… [--json]`: horn probability for each clip.

Output (`--json`, the contract in scene-format.md): one JSON object per line and per file,
`{"file": …, "horn_probability": p, "is_horn": bool}` plus `siren_probability`. A file that
cannot be read or scored gives `{"file": …, "error": "…"}` on stdout and the message on stderr;
the other files are still scored. Exit status: 0 if every file was scored, 1 if any failed.
Multichannel clips are averaged to mono; any sample rate is resampled to 16 kHz.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "classify",
        help="horn probability of audio clips",
        description="Score each clip with the horn classifier (any rate, any channel count).",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="audio clips (WAV, FLAC, OGG, …)")
    p.add_argument("--json", action="store_true", help="one JSON object per line (scene-format.md)")
    p.add_argument(
        "--variant",
        choices=("yamnet_head", "compact_cnn"),
        default="yamnet_head",
        help="model: yamnet_head (default) or compact_cnn (< 1 MB, for low-end nodes)",
    )
    p.add_argument("--threads", type=int, default=1, help="onnxruntime threads (default 1)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from edge.classifier.classifier import HornClassifier
    from edge.classifier.clips import ClipError, read_clip

    classifier = HornClassifier(args.variant, threads=args.threads)
    failed = 0
    for path in args.files:
        try:
            audio, fs = read_clip(path)
            score = classifier.score_clip(audio, fs)
        except (ClipError, ValueError) as exc:
            failed += 1
            message = str(exc) if isinstance(exc, ClipError) else f"{path}: {exc}"
            print(f"honk-edge classify: error: {message}", file=sys.stderr)
            if args.json:
                print(json.dumps({"file": str(path), "error": message}, ensure_ascii=False), flush=True)
            continue
        if args.json:
            record = {
                "file": str(path),
                "horn_probability": round(score.horn_probability, 6),
                "is_horn": bool(score.is_horn),
                "siren_probability": round(score.siren_probability, 6),
            }
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            verdict = "HORN" if score.is_horn else "-"
            print(f"{path}\t{score.horn_probability:.3f}\t{verdict}", flush=True)
    return 1 if failed else 0
