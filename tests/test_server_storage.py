"""Storage, media, users, devices, zones and config on real SQLite/PostgreSQL and real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import server_support
from sqlalchemy import select

import server.deploy
from server.config import ServerConfig, load_config, parse_config
from server.errors import ConfigError
from server.media import FileMediaStore, MediaNotFound, MediaStore, sha256_hex
from server.sample_bundles import new_device_key, public_key_b64
from server.storage.db import init_db, make_engine, session_factory
from server.storage.devices import DeviceError, add_device, revoke_device
from server.storage.models import ApiToken, AuditLog, Device, Zone
from server.storage.users import UserError, authenticate, create_user, issue_token, user_for_token
from server.zones import EXAMPLE_ZONES, is_enforced, load_zone_file, store_zones
from server.zones.loader import ZoneFileError

server_config = server_support.server_config  # the fixture: one SQLite and one PostgreSQL run


@pytest.fixture
def sessions(server_config: ServerConfig):
    engine = make_engine(server_config.database.url, schema=server_config.database.pg_schema)
    init_db(engine)
    init_db(engine)  # idempotent
    yield session_factory(engine)
    engine.dispose()


def test_times_come_back_aware_utc_and_naive_times_are_refused(sessions):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    local = dt.datetime(2026, 11, 28, 17, 15, 3, 412000, tzinfo=shanghai)
    with sessions() as s:
        s.add(Device(id="pole-01", public_key=public_key_b64(new_device_key()), last_seen=local))
        s.commit()
    with sessions() as s:
        seen = s.get(Device, "pole-01").last_seen
    assert seen.tzinfo == dt.UTC and seen == local and seen.hour == 9
    with sessions() as s, pytest.raises(Exception, match="naive datetime"):
        s.add(Device(id="pole-02", public_key="x", last_seen=dt.datetime(2026, 1, 1)))
        s.commit()


def test_media_store_is_content_addressed_and_atomic(tmp_path: Path):
    store = FileMediaStore(tmp_path / "media")
    assert isinstance(store, MediaStore)
    data = b"\x89PNG fake image"
    digest = store.put(data)
    assert digest == sha256_hex(data) and store.put(data) == digest
    assert store.get(digest) == data and store.exists(digest)
    assert store.path_for(digest).relative_to(tmp_path / "media").parts[:2] == (digest[:2], digest[2:4])
    assert not [p for p in (tmp_path / "media").rglob(".tmp-*")], "no temporary files left behind"
    with pytest.raises(MediaNotFound):
        store.get("0" * 64)
    with pytest.raises(MediaNotFound):
        store.get("../../etc/passwd")
    assert not store.exists("not-a-hash")
    store.delete(digest)
    assert not store.exists(digest)


def test_users_passwords_and_tokens(sessions):
    with sessions() as s:
        alice = create_user(s, "alice", "reviewer", "correct horse", "en")
        token = issue_token(s, alice)
        s.commit()
        assert alice.password_hash.startswith("$argon2id$") and "correct horse" not in alice.password_hash
        with pytest.raises(UserError, match="already exists"):
            create_user(s, "alice", "admin", "whatever1")
        with pytest.raises(UserError, match="unknown role"):
            create_user(s, "bob", "chief", "whatever1")
    with sessions() as s:
        assert authenticate(s, "alice", "correct horse").name == "alice"
        assert authenticate(s, "alice", "wrong") is None
        assert authenticate(s, "nobody", "correct horse") is None
        stored = s.scalar(select(ApiToken))
        assert stored.token_sha256 != token and token not in stored.token_sha256
        assert user_for_token(s, token).name == "alice"
        assert user_for_token(s, token + "x") is None
        stored.revoked = True
        s.commit()
        assert user_for_token(s, token) is None


def test_devices_register_revoke_and_reregister(sessions):
    key = public_key_b64(new_device_key())
    with sessions() as s:
        store_zones(s, load_zone_file(EXAMPLE_ZONES))
        device = add_device(s, "pole-03", key)
        assert device.zone_id == "Z02", "zone taken from the zone file's device list"
        with pytest.raises(DeviceError, match="already registered"):
            add_device(s, "pole-03", key)
        with pytest.raises(DeviceError, match="32"):
            add_device(s, "pole-04", "AAAA")
        with pytest.raises(DeviceError, match="must be"):
            add_device(s, "pole/04", key)
        with pytest.raises(DeviceError, match="unknown zone"):
            add_device(s, "pole-04", key, zone_id="Z99")
        revoke_device(s, "pole-03", "stolen")
        assert s.get(Device, "pole-03").revoked
        new_key = public_key_b64(new_device_key())
        assert add_device(s, "pole-03", new_key).public_key == new_key
        s.commit()
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["zones.load", "device.add", "device.revoke", "device.add"]


def test_example_zones_load_and_reload(sessions):
    zones = load_zone_file(EXAMPLE_ZONES)
    assert zones.example and len(zones.zone) == 22
    assert len({z.district for z in zones.zone}) >= 6
    with sessions() as s:
        assert store_zones(s, zones) == (22, 0)
        s.commit()
        assert store_zones(s, zones) == (0, 22)
        s.commit()
        z = s.get(Zone, "Z01")
        ring = z.geometry["coordinates"][0]
        assert z.geometry["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5
        assert z.tz == "Asia/Shanghai" and z.name_zh and z.name_en and z.example
        assert len(s.scalars(select(Zone)).all()) == 22


def test_enforcement_hours_in_local_time():
    day = [{"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "18:00"}]
    night = [{"days": [5], "start": "22:00", "end": "06:00"}]
    utc = dt.UTC
    # Friday 2026-11-27 08:00 in Shanghai is 00:00 UTC.
    assert is_enforced(day, "Asia/Shanghai", dt.datetime(2026, 11, 27, 0, 0, tzinfo=utc))
    assert not is_enforced(day, "Asia/Shanghai", dt.datetime(2026, 11, 27, 10, 30, tzinfo=utc))  # 18:30
    assert not is_enforced(day, "Asia/Shanghai", dt.datetime(2026, 11, 28, 0, 0, tzinfo=utc))  # Saturday
    # Friday's night window covers Saturday 03:00 local (Friday 19:00 UTC), not Sunday 03:00.
    assert is_enforced(night, "Asia/Shanghai", dt.datetime(2026, 11, 27, 19, 0, tzinfo=utc))
    assert not is_enforced(night, "Asia/Shanghai", dt.datetime(2026, 11, 28, 19, 0, tzinfo=utc))
    assert is_enforced(
        [{"days": [6], "start": "00:00", "end": "24:00"}],
        "Asia/Shanghai",
        dt.datetime(2026, 11, 28, 15, 59, tzinfo=utc),
    )


def test_zone_file_errors_name_the_key(tmp_path: Path):
    bad = tmp_path / "zones.toml"
    bad.write_text(
        '[[zone]]\nid = "Z01"\nname_zh = "x"\nname_en = "x"\ndistrict = "A"\ndistrict_zh = "甲"\n'
        'polygon = [[114.0, 22.5], [114.1, 22.5], [114.1, 22.6]]\ncolour = "red"\n'
        '[[zone.hours]]\ndays = [8]\nstart = "07:00"\nend = "25:00"\n'
    )
    with pytest.raises(ZoneFileError) as err:
        load_zone_file(bad)
    message = str(err.value)
    assert "zone.0.colour: unknown key" in message and "zone.0.hours.0.days.0" in message
    assert "zone.0.hours.0.end" in message


def test_config_refuses_unknown_keys_with_their_path():
    with pytest.raises(ConfigError, match=r"server.toml: mqtt\.prot: unknown key"):
        parse_config("[mqtt]\nprot = 1883\n", "server.toml")
    with pytest.raises(ConfigError, match=r"ingest\.max_payload_bytes"):
        parse_config("[ingest]\nmax_payload_bytes = 'big'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[mqtt\n")
    config = parse_config('[database]\nurl = "sqlite:///x.db"\n[review]\nsecond_reviewer = true\n')
    assert (
        config.review.second_reviewer
        and config.mqtt.port == 1883
        and config.ingest.max_payload_bytes == 8 << 20
    )


def test_the_example_server_config_is_valid():
    example = Path(server.deploy.__file__).with_name("server.example.toml")
    config = load_config(example)
    assert config.database.url.startswith("postgresql+psycopg://") and config.mqtt.port == 8883
