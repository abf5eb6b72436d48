"""The independent simulator's clip set: labels follow the training's rules (a horn with a siren
is exempt) and the horn's level over the street is recorded with each horn clip."""

import numpy as np

from models.training import other_sim_clips


def test_clips_are_labelled_by_the_rules_and_carry_the_horn_snr() -> None:
    rng = np.random.default_rng(11)
    seen = set()
    for _ in range(12):
        audio, label, what, info = other_sim_clips.clip(rng)
        seen.add(label)
        assert (
            audio.dtype == np.float32 and 1.5 * other_sim_clips.FS <= audio.size <= 4.0 * other_sim_clips.FS
        )
        assert 0 < np.abs(audio).max() < 1.0
        has_horn = what == "horn" or what.endswith("+horn")
        assert label == ("horn" if what == "horn" else "not_horn")
        assert ("horn_snr_db_a" in info) == has_horn
        if has_horn:
            assert info["horn_kind"] in other_sim_clips.HORN_KINDS
            assert -40 < float(info["horn_snr_db_a"]) < 60
    assert seen == {"horn", "not_horn"}


def test_the_evaluation_reads_what_each_clip_holds_from_the_manifest(tmp_path) -> None:
    from models.training import evaluate

    for sub in ("horn", "not_horn"):
        (tmp_path / sub).mkdir()
    paths = [tmp_path / "horn/0000-horn.wav", tmp_path / "not_horn/0001-beeper.wav"]
    labels = np.array([1, 0])
    assert list(evaluate._tags(tmp_path, paths, labels)) == ["horn", "not_horn"]  # no manifest: the label
    (tmp_path / "manifest.csv").write_text(
        "file,what,horn_kind,horn_snr_db_a\nhorn/0000-horn.wav,horn,e-bike,4.2\nnot_horn/0001-beeper.wav,beeper,,\n"
    )
    assert list(evaluate._tags(tmp_path, paths, labels)) == ["horn:e-bike", "beeper"]
