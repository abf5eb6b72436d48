"""The analysis settings: one typed tree shared by the node's TOML, `--set key=value` and tests.

Every section forbids unknown keys, so a typo (`detector.treshold`) is an error at start with
the path of the bad key, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.errors import UserFacingError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StftConfig(_Section):
    """The hop is the analysis clock; each hop carries `snapshots_per_hop` half-overlapping frames."""

    hop_s: float = Field(0.05, gt=0.005, le=0.5)
    snapshots_per_hop: int = Field(2, ge=1, le=8)


class DetectorConfig(_Section):
    """Harmonicity detector (the documented fallback until, and bin selector beside, the classifier).

    A horn is a steady harmonic comb: fundamental in [f0_min_hz, f0_max_hz], at least
    `min_harmonics` of its first eight partials standing `prominence_db` above both the local
    spectrum and the slow background, even partials present and within `max_odd_even_db` of their
    odd neighbours (square-wave electronic sirens and buzzers have only odd ones; from the tracker's
    `small_horn_min_f0_hz` up, where small horns buzz with even partials 10-20 dB down or too weak
    to read, the tracker decides on the whole track instead, unless they are `square_odd_even_db`
    down: a square wave into a speaker), no comb below the horn range filling its gaps
    (engines), and its 1st or 2nd partial read or five consecutive ones
    (`HarmonicDetector._anchored`). A comb strongest at 1.5 kHz or above (a disc horn's
    resonance) is also scored on its best eight consecutive partials from the 2nd to the 5th on,
    as its 2nd-4th may be too weak to read (`HarmonicDetector._upper_comb_score`).

    `beam_max_hz`: below it the comb is searched in the strongest of a set of beams over the view
    (`edge.analysis.detection_beams`), which hears a distant horn above noise that is uncorrelated
    between microphones. 0 searches the mean spectrum only, as does an array too small for its
    beams to tell directions apart there (`detection_beams.beams_separate`). With the beams' lower
    noise floor the `threshold` rose from 0.5 to 0.7: on the independent scenes precision went from
    0.89 to 0.96-1.0 at the same recall (see the closing note).

    `look_again`: each hop, a beam toward every open track that no detection continued, searched
    for a comb at the track's pitch (or an octave of it) and placed there
    (`Analyzer._look_again`): the quieter of two horns sounding at once, glimpsed in one hop,
    is followed through it. Such hops continue a track, never decide it.

    `use_classifier` adds the ONNX classifier's verdict on each closed event, heard through a beam
    toward it (see `edge.analysis.verdict`). Off by default: on the simulated scenes it called
    short taps and scooter horns sirens (recall fell to about half) — see the closing note.
    """

    f0_min_hz: float = Field(180.0, gt=20)
    f0_max_hz: float = Field(1150.0, gt=50)
    band_max_hz: float = Field(6500.0, gt=500)
    prominence_db: float = Field(6.0, gt=0)
    min_harmonics: int = Field(4, ge=2, le=8)
    max_odd_even_db: float = Field(10.0, gt=0)
    square_odd_even_db: float = Field(20.0, gt=0)
    threshold: float = Field(0.7, gt=0, lt=1)
    release: float = Field(0.3, gt=0, lt=1)
    max_families: int = Field(2, ge=1, le=4)
    look_again: bool = True
    beam_max_hz: float = Field(1000.0, ge=0)
    use_classifier: bool = False
    classifier_variant: Literal["yamnet_head", "compact_cnn"] = "yamnet_head"

    @model_validator(mode="after")
    def _beams_within_band(self) -> DetectorConfig:
        """Beams above the detector's band search nothing and cost the most (their count grows
        with f²): refuse the setting rather than run slowly and differently."""
        if self.beam_max_hz > self.band_max_hz:
            raise ValueError(
                f"beam_max_hz ({self.beam_max_hz:g} Hz) must not exceed band_max_hz ({self.band_max_hz:g} Hz)"
            )
        return self


class LocalizerConfig(_Section):
    """Steered response power on the focus grid: coarse over the camera view plus margin, refined locally.

    Each event's direction is refitted for the road's reflection, horn and image found in the
    data (`edge.analysis.reflection`, no mount needed). With the mount known, the road behind the
    array is tested too (`edge.analysis.road`): `ground_reflection` is the road's pressure
    reflection coefficient in that test's model (0 turns the refit and the test off). An event
    whose best fit on the road behind the array reaches `behind_ratio` of its best fit in front
    is flagged `front_back_ambiguous` (never evidence); its direction stays the one in front.
    """

    method: Literal["das", "phat", "clean-sc"] = "phat"
    margin_deg: float = Field(12.0, ge=0, le=45)
    floor_deg: float = Field(-50.0, ge=-89, le=0)  # the grid reaches down to the road under the pole
    coarse_step_deg: float | None = Field(None, gt=0.2, le=10)
    coarse_max_hz: float = Field(3000.0, gt=300)
    partial_bins: Literal[1, 3] = 1
    refine_levels: int = Field(2, ge=1, le=5)
    candidates: int = Field(3, ge=1, le=8)
    snapshot_hops: int = Field(2, ge=1, le=8)
    speed_of_sound: float = Field(343.0, gt=300, lt=360)
    focus_distance_m: float | None = Field(25.0, gt=1)
    horn_height_m: float = Field(0.6, ge=0, le=4)  # a car's horn, behind the bumper: most honks
    ground_reflection: float = Field(0.9, ge=0, le=1)
    behind_ratio: float = Field(0.97, gt=0)
    focus_min_m: float = Field(6.0, gt=0.5)
    focus_max_m: float = Field(80.0, gt=1)
    max_sources: int = Field(2, ge=1, le=4)
    clean_dynamic_db: float = Field(8.0, gt=0)
    min_separation_deg: float = Field(4.0, gt=0)
    steering_cache_mb: float = Field(64.0, gt=1)


class TrackerConfig(_Section):
    """Hops → horn events: hysteresis, minimum duration, one track per source, double-tap merge."""

    gate_deg: float = Field(5.0, gt=0)
    confirm_hops: int = Field(2, ge=1)
    # A steady comb held this many hops at this mean score is decided without one strong hop
    # (0.5, was 0.6: a motorcycle's 740 Hz horn 8 dB under the traffic read 0.52-0.56 hop after
    # hop; independent fresh scene spiral64-57).
    sustain_hops: int = Field(4, ge=2)
    sustain_score: float = Field(0.5, gt=0, le=1)
    hangover_hops: int = Field(2, ge=0)
    min_duration_s: float = Field(0.08, ge=0)
    merge_gap_s: float = Field(0.4, ge=0)
    max_pitch_glide: float = Field(0.12, gt=0)
    max_pitch_rate: float = Field(0.15, gt=0)  # per second: a wail's short piece, not a horn's Doppler
    max_even_deficit_db: float = Field(6.0, gt=0)
    min_even_deficit_db: float = Field(-15.0, lt=0)
    # A held tone in the small horns' range may have weak even partials (see `Tracker._small_horn`).
    small_horn_min_s: float = Field(1.0, gt=0)
    small_horn_min_f0_hz: float = Field(550.0, gt=0)


class HealthConfig(_Section):
    """Per-channel health (dead/noisy from levels against the array's typical level, its upper
    quartile: the names keep "median" from before a dropped converter line was seen to fool it)
    and wind (low-band coherence)."""

    dead_below_median_db: float = Field(25.0, gt=0)
    noisy_above_median_db: float = Field(10.0, gt=0)
    level_time_constant_s: float = Field(1.0, gt=0)
    wind_band_hz: tuple[float, float] = (20.0, 200.0)
    wind_coherence_max: float = Field(0.25, gt=0, lt=1)
    wind_low_over_mid_db: float = Field(20.0, ge=0)
    wind_time_constant_s: float = Field(0.5, gt=0)


class AnalysisConfig(_Section):
    stft: StftConfig = StftConfig()
    detector: DetectorConfig = DetectorConfig()
    localizer: LocalizerConfig = LocalizerConfig()
    tracker: TrackerConfig = TrackerConfig()
    health: HealthConfig = HealthConfig()


def build_config(base: dict[str, Any] | None = None, overrides: list[str] | None = None) -> AnalysisConfig:
    """A validated config from a nested dict (the node's TOML section) plus `key.path=value` overrides.

    Values are parsed as JSON when they can be (numbers, booleans, null, lists) and taken as strings
    otherwise, so `--set localizer.method=das` and `--set detector.threshold=0.6` both work.
    """
    import json

    tree: dict[str, Any] = json.loads(json.dumps(base or {}))
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UserFacingError(f"--set expects key=value (e.g. detector.threshold=0.6), got {item!r}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = tree
        parts = key.strip().split(".")
        for p in parts[:-1]:
            child = node.setdefault(p, {})
            if not isinstance(child, dict):
                raise UserFacingError(f"--set {key}: {p!r} is a value, not a section")
            node = child
        node[parts[-1]] = value
    try:
        return AnalysisConfig.model_validate(tree)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserFacingError(f"analysis config: {where}: {first['msg']}") from None
