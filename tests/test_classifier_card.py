"""The model card: thresholds come from it, and a model file that does not match its hash is refused."""

import json
import shutil
from pathlib import Path

import pytest

from edge.classifier.card import CARD_NAME, load_variant
from edge.errors import UserFacingError
from edge.paths import models_dir


def test_shipped_card_names_hashed_files_and_thresholds() -> None:
    for name in ("yamnet_head", "compact_cnn"):
        variant = load_variant(name)  # verifies every SHA-256
        assert 0.0 < variant.threshold < 1.0
        assert 0.0 < variant.siren_veto <= 1.0
        assert all(path.is_file() for path in variant.files.values())
    assert load_variant("compact_cnn").files["cnn"].stat().st_size < 1_000_000


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    shutil.copy(models_dir() / CARD_NAME, tmp_path / CARD_NAME)
    data = (models_dir() / "horn_cnn.onnx").read_bytes()
    (tmp_path / "horn_cnn.onnx").write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(UserFacingError, match="SHA-256"):
        load_variant("compact_cnn", tmp_path)


def test_missing_or_broken_cards_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="not found"):
        load_variant("compact_cnn", tmp_path)
    (tmp_path / CARD_NAME).write_text(json.dumps({"variants": {}}))
    with pytest.raises(UserFacingError, match="unusable"):
        load_variant("compact_cnn", tmp_path)
    with pytest.raises(UserFacingError, match="unknown classifier variant"):
        load_variant("resnet", tmp_path)
