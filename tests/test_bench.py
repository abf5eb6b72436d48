"""`honk-edge bench`'s load: the horn's duty sets how many maps a second of audio asks for."""

import pytest

from edge.analysis.bench import run_case
from edge.cli import main


def test_a_lighter_horn_duty_asks_for_fewer_maps():
    light = run_case("dev-uma16", 2.0, [], False, duty=0.3)
    heavy = run_case("dev-uma16", 2.0, [], False, duty=0.8)
    # ~1.7 maps per hop (the horn's two voices) while the horn sounds, none in the silence.
    assert 5.0 <= light["maps_per_s"] < 0.6 * heavy["maps_per_s"]
    assert heavy["maps_per_s"] >= 20.0
    assert light["rtf"] > 0 and light["coarse_points"] >= 4000


@pytest.mark.parametrize("argv", [["--horn-duty", "0.9"], ["--horn-duty", "0.2", "0.05"], ["--seconds", "0"]])
def test_bench_refuses_bad_options(argv, capsys):
    assert main(["bench", "--no-acoular", *argv]) != 0
    assert "must be between" in capsys.readouterr().err
