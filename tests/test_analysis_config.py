"""The analysis config: typed, strict, shared by TOML and --set."""

import pytest

from edge.analysis.config import AnalysisConfig, build_config
from edge.errors import UserFacingError


def test_overrides_parse_values_and_paths():
    cfg = build_config(
        {"tracker": {"gate_deg": 3.0}},
        ["localizer.method=clean-sc", "detector.threshold=0.6", "localizer.focus_distance_m=null"],
    )
    assert cfg.localizer.method == "clean-sc" and cfg.detector.threshold == 0.6
    assert cfg.localizer.focus_distance_m is None and cfg.tracker.gate_deg == 3.0
    assert build_config() == AnalysisConfig()


@pytest.mark.parametrize("item", ["detector.treshold=1", "localizer=3", "stft.hop_s=-1", "=3"])
def test_bad_settings_are_refused_with_their_path(item):
    with pytest.raises(UserFacingError) as exc:
        build_config(None, [item])
    assert "config" in str(exc.value) or "--set" in str(exc.value)
