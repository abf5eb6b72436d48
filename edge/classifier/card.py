"""The model card `models/horn_classifier.json`: what the runtime needs from it, checked.

The card is written by `models/training/train.py` and `evaluate.py`; the runtime reads the
threshold and file names from it (so a retrained model ships its own threshold) and checks
each file's SHA-256, because the model version is part of every evidence record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from edge.errors import UserFacingError
from edge.paths import models_dir

CARD_NAME = "horn_classifier.json"
VARIANTS = ("yamnet_head", "compact_cnn")


@dataclass(frozen=True)
class Variant:
    """One shippable model: its files (role → path), horn threshold, hashes, and the siren
    veto: a window or clip whose p(siren) reaches `siren_veto` is never a horn. `yamnet_gate`
    (YAMNet-based variants): a patch's p(horn) is scaled by min(1, YAMNet's own horn score /
    gate), so nothing YAMNet does not hear as a horn at all can be called one. `yamnet_rivals`:
    YAMNet classes of horn-like sounds that are no road vehicle's horn (buzzer, alarm, a train's
    horn or whistle); a patch that YAMNet hears as one of them more than as a horn is no horn."""

    name: str
    files: dict[str, Path]
    threshold: float
    siren_veto: float
    sha256: dict[str, str]
    yamnet_gate: float | None = None
    yamnet_rivals: tuple[int, ...] = ()


def load_variant(name: str = "yamnet_head", directory: Path | None = None, verify: bool = True) -> Variant:
    """Read the card in `directory` (default `models/`) and return variant `name`."""
    directory = Path(directory) if directory else models_dir()
    path = directory / CARD_NAME
    if name not in VARIANTS:
        raise UserFacingError(f"unknown classifier variant {name!r}; expected one of {', '.join(VARIANTS)}")
    try:
        card = json.loads(path.read_text())
        entry = card["variants"][name]
        files = {role: directory / file for role, file in entry["files"].items()}
        variant = Variant(
            name=name,
            files=files,
            threshold=float(entry["threshold"]),
            siren_veto=float(card.get("siren_veto", 0.5)),
            sha256=dict(entry.get("sha256", {})),
            yamnet_gate=float(entry["yamnet_gate"]) if entry.get("yamnet_gate") else None,
            yamnet_rivals=tuple(int(i) for i in entry.get("yamnet_rivals", ())),
        )
    except FileNotFoundError:
        raise UserFacingError(f"model card {path} not found") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UserFacingError(f"model card {path} is unusable: {exc!r}") from None
    if verify:
        for file in files.values():
            want = variant.sha256.get(file.name)
            if not file.is_file():
                raise UserFacingError(f"model file {file} named in {path} not found")
            if want and hashlib.sha256(file.read_bytes()).hexdigest() != want:
                raise UserFacingError(f"model file {file} does not match its SHA-256 in {path}")
    return variant
