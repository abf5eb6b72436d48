"""The heartbeat: contract fields, CPU temperature from sysfs, clock state from chrony's output."""

import json
import stat

from disk_support import fill, small_disk

from edge.transport.health import (
    UNKNOWN_CLOCK,
    ClockMonitor,
    HealthReporter,
    PipelineHealth,
    parse_chronyc_tracking,
    read_cpu_temp_c,
)
from edge.transport.outbox import Outbox

CONTRACT_FIELDS = {
    "device", "time_utc", "uptime_s", "queue_depth", "outbox_bytes", "quota_alarm", "dropped_blocks",
    "overflows", "channel_rms_db", "dead_channels", "camera_fps", "camera_state", "cpu_temp_c", "clock",
    "conditions", "enforcing",
}  # fmt: skip

SYNCED = "A29FC87B,162.159.200.123,3,1795859000.123,-0.000012345,0.000001,0.000010,-5.1,0.001,0.02,0.01,0.002,64.5,Normal"
UNSYNCED = "00000000,,0,0.0,0.000000,0.0,0.0,0.0,0.0,0.0,1.0,1.0,0.0,Not synchronised"


def _zone(root, n: int, kind: str, millideg: str) -> None:
    zone = root / f"thermal_zone{n}"
    zone.mkdir()
    (zone / "type").write_text(kind + "\n")
    (zone / "temp").write_text(millideg + "\n")


def test_cpu_temperature_prefers_cpu_zones(tmp_path):
    _zone(tmp_path, 0, "acpitz", "71000")
    _zone(tmp_path, 1, "cpu-thermal", "48312")
    _zone(tmp_path, 2, "x86_pkg_temp", "not a number")
    assert read_cpu_temp_c(tmp_path) == 48.312


def test_cpu_temperature_falls_back_to_any_zone_or_none(tmp_path):
    assert read_cpu_temp_c(tmp_path) is None
    _zone(tmp_path, 0, "acpitz", "41500")
    assert read_cpu_temp_c(tmp_path) == 41.5


def test_chronyc_tracking_is_parsed():
    synced = parse_chronyc_tracking(SYNCED)
    assert synced.synced is True and synced.source == "chrony"
    assert synced.offset_s == -0.000012345
    assert synced.for_manifest() == {"synced": True, "source": "chrony", "offset_s": -0.000012345}
    assert parse_chronyc_tracking(UNSYNCED).synced is False
    assert parse_chronyc_tracking("506 Cannot talk to daemon") == UNKNOWN_CLOCK
    assert UNKNOWN_CLOCK.for_manifest()["synced"] is False


def test_clock_monitor_runs_a_real_chronyc_and_reports_unknown_without_one(tmp_path):
    fake = tmp_path / "chronyc"
    fake.write_text(f"#!/bin/sh\n[ \"$1 $2\" = '-c tracking' ] && echo '{SYNCED}'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert ClockMonitor(chronyc=str(fake)).state().synced is True
    broken = tmp_path / "broken"
    broken.write_text("#!/bin/sh\necho '506 Cannot talk to daemon' >&2; exit 1\n")
    broken.chmod(0o755)
    assert ClockMonitor(chronyc=str(broken)).state() == UNKNOWN_CLOCK
    assert ClockMonitor(chronyc=str(tmp_path / "missing")).state() == UNKNOWN_CLOCK


def test_heartbeat_has_every_contract_field(tmp_path):
    box = Outbox(tmp_path / "o.db", quota_bytes=100, keep_free_bytes=0)
    box.put("a", b"x" * 150)
    pipe = PipelineHealth(
        conditions=["camera reconnecting: " + "e" * 2000],  # a long driver message
        dropped_blocks=2,
        channel_rms_db=[-40.04, -39.96],
        dead_channels=[7],
        camera_fps=24.8,
        camera_state="ok",
    )
    _zone(tmp_path, 0, "cpu-thermal", "50000")
    clock = ClockMonitor(chronyc=str(tmp_path / "no-chronyc"))
    beat = HealthReporter("pole-07", box, pipeline=lambda: pipe, clock=clock, thermal_dir=tmp_path)()
    assert set(beat) == CONTRACT_FIELDS
    assert beat["queue_depth"] == 1 and beat["outbox_bytes"] == 150 and beat["quota_alarm"] is True
    assert beat["channel_rms_db"] == [-40.0, -40.0] and beat["dead_channels"] == [7]
    assert beat["cpu_temp_c"] == 50.0
    assert beat["clock"] == {"synced": None, "offset_s": None}
    assert beat["time_utc"].endswith("Z")
    assert json.loads(json.dumps(beat)) == beat  # it goes on the wire as JSON
    assert len(beat["conditions"]) == 1 and len(beat["conditions"][0]) == 300
    (tmp_path / "thermal_zone0" / "temp").write_text("83500\n")  # in the sun, close to throttling
    hot = HealthReporter("pole-07", box, pipeline=lambda: pipe, clock=clock, thermal_dir=tmp_path)()
    assert hot["cpu_temp_c"] == 83.5 and hot["conditions"][1:] == ["hot: CPU at 84 °C"]


def test_a_nearly_full_outbox_disk_is_a_condition(tmp_path):
    with small_disk(tmp_path / "disk", "8m") as disk:
        box = Outbox(disk / "o.db", quota_bytes=10**9, keep_free_bytes=4_000_000)
        clock = ClockMonitor(chronyc=str(tmp_path / "no-chronyc"))
        beat = HealthReporter("pole-07", box, clock=clock, thermal_dir=tmp_path)
        assert not [c for c in beat()["conditions"] if c.startswith("disk")]
        fill(disk, leave=2_000_000)
        (low,) = [c for c in beat()["conditions"] if c.startswith("disk")]
        assert low.startswith("disk low: 2 MB free on the outbox's disk, under the 4 MB kept free")
        box.close()


def test_an_outbox_moved_aside_is_a_condition(tmp_path):
    (tmp_path / "o.db").write_bytes(b"\x00garbage" * 1000)
    box = Outbox(tmp_path / "o.db", quota_bytes=10**6, keep_free_bytes=0)
    clock = ClockMonitor(chronyc=str(tmp_path / "no-chronyc"))
    (storage,) = HealthReporter("pole-07", box, clock=clock, thermal_dir=tmp_path)()["conditions"]
    assert storage.startswith("storage: the outbox was unreadable (file is not a database; moved aside to ")
    assert storage.endswith("the evidence it held was not sent")
    box.close()
