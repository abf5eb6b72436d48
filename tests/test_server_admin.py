"""Administration pages and API: editing zones, deactivating users, revoking tokens, error pages.

Runs on SQLite and PostgreSQL (the `server_config` fixture) with the web tests' seed data and
helpers; zone edits are checked against the very rules of the zones file loader.
"""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from server_support import server_config  # noqa: F401  (fixture)
from server_web_support import PASSWORD, Seeded
from sqlalchemy import select
from test_server_cli import config_file  # noqa: F401  (fixture)
from test_server_web import audit_actions, client_for, csrf, login, site  # noqa: F401  (site: fixture)

from server.cli import main
from server.config import ServerConfig
from server.storage.models import ApiToken, AuditLog, Device, User, Zone
from server.storage.users import MIN_PASSWORD, authenticate
from server.zones import is_enforced, load_zone_file
from server.zones.editing import ZoneEditError, edit_zone
from server.zones.loader import ZoneFileError

Site = tuple[Seeded, ServerConfig]


def zone_form(token: str, **fields: object) -> dict[str, object]:
    """The edit form as a browser posts it: names, three window rows (the last blank), devices."""
    form: dict[str, object] = {
        "csrf_token": token,
        "name_zh": "人民医院南门",
        "name_en": "People's Hospital south gate",
        "district_zh": "福田区",
        "district": "Futian",
        "days_0": ["1", "2", "3", "4", "5"],
        "start_0": "07:00",
        "end_0": "23:00",
        "days_1": ["6", "7"],
        "start_1": "22:00",
        "end_1": "06:00",
        "start_2": "",
        "end_2": "",
        "devices": "",
    }
    form.update(fields)
    return form


def last_audit(seeded: Seeded, action: str) -> AuditLog:
    with seeded.sessions() as db:
        return db.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc())
        ).first()


def test_admin_edits_a_zone_and_the_edit_is_audited(site: Site) -> None:  # noqa: F811
    seeded, config = site
    admin, reviewer = client_for(seeded, config), client_for(seeded, config)
    login(admin, "admin")
    login(reviewer, "li")
    assert reviewer.get("/admin/zones").status_code == 403
    assert reviewer.get("/admin/zones/Z02").status_code == 403
    listing = admin.get("/admin/zones")
    assert listing.status_code == 200 and 'href="/admin/zones/Z03"' in listing.text
    assert 'id="zone-Z01"' in listing.text and "pole-07" in listing.text
    form = admin.get("/admin/zones/Z02")
    assert form.status_code == 200 and 'value="人民医院门前"' in form.text
    token = csrf(admin, "/admin/zones/Z02")
    assert admin.post("/admin/zones/Z02", data=zone_form("")).status_code == 403  # CSRF

    saved = admin.post("/admin/zones/Z02", data=zone_form(token), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/zones?saved=Z02"
    with seeded.sessions() as db:
        zone = db.get(Zone, "Z02")
        assert zone.name_zh == "人民医院南门" and zone.name_en == "People's Hospital south gate"
        assert zone.hours == [
            {"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "23:00"},
            {"days": [6, 7], "start": "22:00", "end": "06:00"},
        ]
        # The stored hours drive enforcement: Saturday 23:30 Shanghai is in, Monday 06:30 is out.
        assert is_enforced(zone.hours, zone.tz, datetime(2026, 11, 28, 15, 30, tzinfo=UTC))
        assert not is_enforced(zone.hours, zone.tz, datetime(2026, 11, 29, 22, 30, tzinfo=UTC))
    entry = last_audit(seeded, "zone.edit")
    assert entry.actor == "admin" and entry.target == "Z02"
    assert entry.detail["old"]["name_zh"] == "人民医院门前"
    assert entry.detail["new"]["name_zh"] == "人民医院南门"
    assert entry.detail["old"]["hours"] == [{"days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00", "end": "23:59"}]
    assert len(entry.detail["new"]["hours"]) == 2 and "devices" not in entry.detail["new"]
    assert "人民医院南门" in admin.get("/admin/zones?saved=Z02").text

    # Saving the same values again changes nothing and writes no second audit entry.
    admin.post("/admin/zones/Z02", data=zone_form(token))
    assert audit_actions(seeded).count(("admin", "zone.edit")) == 1


def test_zone_edits_follow_the_zone_file_rules(site: Site, tmp_path: Path) -> None:  # noqa: F811
    seeded, config = site
    admin = client_for(seeded, config)
    login(admin, "admin")
    token = csrf(admin, "/admin/zones/Z02")
    bad_hour = admin.post("/admin/zones/Z02", data=zone_form(token, start_0="25:00", name_en=""))
    assert bad_hour.status_code == 400 and 'id="zone-error"' in bad_hour.text
    assert "name_en: String should have at least 1 character" in bad_hour.text
    assert "hours.0.start: String should match pattern" in bad_hour.text
    assert 'value="25:00"' in bad_hour.text  # what the admin typed is shown again, not lost
    no_days = admin.post("/admin/zones/Z02", data=zone_form(token, days_0=[]))
    assert no_days.status_code == 400 and "hours.0.days: List should have at least 1 item" in no_days.text
    taken = admin.post("/admin/zones/Z02", data=zone_form(token, devices="pole-07"))
    assert taken.status_code == 400 and "device pole-07 is in both Z01 and Z02" in taken.text
    bad_id = admin.post("/admin/zones/Z02", data=zone_form(token, devices="pole 9/x"))
    assert bad_id.status_code == 400 and "devices.1: String should match pattern" in bad_id.text
    with seeded.sessions() as db:
        assert db.get(Zone, "Z02").name_zh == "人民医院门前"  # nothing of a refused edit is kept
    assert ("admin", "zone.edit") not in audit_actions(seeded)

    # The loader refuses the same hour with the same words: one set of rules.
    zone_file = tmp_path / "zones.toml"
    zone_file.write_text(
        '[[zone]]\nid = "Z02"\nname_zh = "甲"\nname_en = "A"\ndistrict = "Futian"\ndistrict_zh = "福田区"\n'
        "polygon = [[114.0, 22.5], [114.1, 22.5], [114.1, 22.6]]\n"
        'hours = [{days = [1], start = "25:00", end = "23:00"}]\n',
        encoding="utf-8",
    )
    with pytest.raises(ZoneFileError, match=r"zone\.0\.hours\.0\.start: String should match pattern"):
        load_zone_file(zone_file)
    with seeded.sessions() as db, pytest.raises(ZoneEditError, match=r"hours\.0\.start: String should match"):
        edit_zone(db, db.get(Zone, "Z02"), {"hours": [{"days": [1], "start": "25:00", "end": "23:00"}]}, None)


def test_moving_a_device_between_zones_reassigns_it(site: Site) -> None:  # noqa: F811
    seeded, config = site
    admin = client_for(seeded, config)
    login(admin, "admin")
    token = csrf(admin, "/admin/zones/Z01")
    with seeded.sessions() as db:
        z01 = db.get(Zone, "Z01")
        keep = {"name_zh": z01.name_zh, "name_en": z01.name_en, "district": z01.district}
    admin.post("/admin/zones/Z01", data=zone_form(token, **keep, devices=""))
    moved = admin.post("/admin/zones/Z02", data=zone_form(token, devices="pole-07, pole-31"))
    assert moved.status_code == 200 and 'id="zone-saved"' in moved.text
    with seeded.sessions() as db:
        assert db.get(Zone, "Z01").device_ids == []
        assert db.get(Zone, "Z02").device_ids == ["pole-07", "pole-31"]
        assert db.get(Device, "pole-07").zone_id == "Z02"
    assert last_audit(seeded, "zone.edit").detail == {
        "old": {
            "name_zh": "人民医院门前",
            "name_en": "People's Hospital gate",
            "hours": [{"days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00", "end": "23:59"}],
            "devices": [],
        },
        "new": {
            "name_zh": "人民医院南门",
            "name_en": "People's Hospital south gate",
            "hours": [
                {"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "23:00"},
                {"days": [6, 7], "start": "22:00", "end": "06:00"},
            ],
            "devices": ["pole-07", "pole-31"],
        },
    }


def test_zone_api_for_admins(site: Site) -> None:  # noqa: F811
    seeded, config = site
    client = client_for(seeded, config)
    bearer = {name: {"Authorization": f"Bearer {tok}"} for name, tok in seeded.tokens.items()}
    change = {
        "name_en": "Science Park South gate",
        "hours": [{"days": [1, 2, 3], "start": "08:00", "end": "20:00"}],
    }
    assert client.patch("/api/v1/zones/Z03", headers=bearer["zhao"], json=change).status_code == 403
    assert client.patch("/api/v1/zones/Z99", headers=bearer["admin"], json=change).status_code == 404
    done = client.patch("/api/v1/zones/Z03", headers=bearer["admin"], json=change)
    assert done.status_code == 200
    body = done.json()
    assert body["name_en"] == "Science Park South gate" and body["name_zh"] == "科技园南区"
    assert body["hours"] == change["hours"]
    assert ("admin", "zone.edit") in audit_actions(seeded)
    bad = client.patch(
        "/api/v1/zones/Z03", headers=bearer["admin"], json={"hours": [{"days": [0], "start": "8"}]}
    )
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "bad_zone"
    assert "hours.0.days.0: Input should be greater than or equal to 1" in bad.json()["detail"]["message"]
    assert client.patch("/api/v1/zones/Z03", headers=bearer["admin"], json={"polygon": []}).status_code == 422
    listed = client.get("/api/v1/zones", headers=bearer["li"]).json()
    assert next(z for z in listed if z["id"] == "Z03")["hours"] == change["hours"]


def test_deactivated_user_cannot_log_in_or_use_the_api(site: Site) -> None:  # noqa: F811
    seeded, config = site
    admin, li = client_for(seeded, config), client_for(seeded, config)
    login(admin, "admin")
    login(li, "li")
    li_api = {"Authorization": f"Bearer {seeded.tokens['li']}"}
    assert li.get("/api/v1/cases", headers=li_api).status_code == 200
    with seeded.sessions() as db:
        li_id = db.scalar(select(User.id).where(User.name == "li"))
        admin_id = db.scalar(select(User.id).where(User.name == "admin"))
    token = csrf(admin, "/admin/users")
    assert admin.post(f"/admin/users/{li_id}/active", data={"active": "false"}).status_code == 403  # CSRF
    off = admin.post(
        f"/admin/users/{li_id}/active", data={"csrf_token": token, "active": "false"}, follow_redirects=False
    )
    assert off.status_code == 303
    assert li.get("/queue", follow_redirects=False).status_code == 303  # the open session ends at once
    assert li.get("/api/v1/cases", headers=li_api).status_code == 401
    refused = client_for(seeded, config).post(
        "/login",
        data={"csrf_token": csrf(client_for(seeded, config)), "username": "li", "password": PASSWORD},
    )
    assert refused.status_code in (401, 403)
    with seeded.sessions() as db:
        assert authenticate(db, "li", PASSWORD) is None
    entry = last_audit(seeded, "user.deactivate")
    assert entry.actor == "admin" and entry.target == "li"
    assert entry.detail == {"old": {"active": True}, "new": {"active": False}}
    page = admin.get("/admin/users").text
    assert re.search(rf'id="active-{li_id}">✗', page) and "重新启用" in page
    # An admin cannot lock themselves out.
    self_off = admin.post(f"/admin/users/{admin_id}/active", data={"csrf_token": token, "active": "false"})
    assert self_off.status_code == 200 and "不能停用自己的账号" in self_off.text
    with seeded.sessions() as db:
        assert db.get(User, admin_id).active
    # Reactivated, the same token and password work again.
    admin.post(f"/admin/users/{li_id}/active", data={"csrf_token": token, "active": "true"})
    assert li.get("/api/v1/cases", headers=li_api).status_code == 200
    login(client_for(seeded, config), "li")
    assert ("admin", "user.activate") in audit_actions(seeded)


def test_admin_revokes_one_api_token(site: Site) -> None:  # noqa: F811
    seeded, config = site
    admin = client_for(seeded, config)
    login(admin, "admin")
    wang_api = {"Authorization": f"Bearer {seeded.tokens['wang']}"}
    assert admin.get("/api/v1/cases", headers=wang_api).status_code == 200
    with seeded.sessions() as db:
        row = db.scalar(select(ApiToken).join(User).where(User.name == "wang"))
        token_id, prefix = row.id, row.prefix
    page = admin.get("/admin/users").text
    assert f'action="/admin/tokens/{token_id}/revoke"' in page
    revoked = admin.post(
        f"/admin/tokens/{token_id}/revoke",
        data={"csrf_token": csrf(admin, "/admin/users")},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert admin.get("/api/v1/cases", headers=wang_api).status_code == 401
    assert re.search(rf'id="token-{token_id}">{prefix}… \(已吊销\)', admin.get("/admin/users").text)
    entry = last_audit(seeded, "user.token_revoke")
    assert entry.actor == "admin" and entry.target == "wang" and entry.detail == {"token": prefix}
    # Other users' tokens keep working.
    assert (
        admin.get("/api/v1/cases", headers={"Authorization": f"Bearer {seeded.tokens['li']}"}).status_code
        == 200
    )
    assert (
        admin.post(
            "/admin/tokens/999999/revoke", data={"csrf_token": csrf(admin, "/admin/users")}
        ).status_code
        == 404
    )


def test_one_password_minimum_for_cli_and_admin_page(
    site: Site,  # noqa: F811
    config_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded, config = site
    short = "x" * (MIN_PASSWORD - 1)
    admin = client_for(seeded, config)
    login(admin, "admin")
    token = csrf(admin, "/admin/users")
    assert f'minlength="{MIN_PASSWORD}"' in admin.get("/admin/users").text
    page = admin.post(
        "/admin/users", data={"csrf_token": token, "name": "chen", "role": "reviewer", "password": short}
    )
    assert page.status_code == 200 and f"密码至少需要 {MIN_PASSWORD} 个字符" in page.text
    cfg = ("--config", str(config_file))
    assert main(["db", "init", *cfg]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(short + "\n"))
    assert main(["user", "add", "chen", "--role", "reviewer", "--password-stdin", *cfg]) == 2
    assert f"at least {MIN_PASSWORD} characters" in capsys.readouterr().err
    added = admin.post(
        "/admin/users",
        data={"csrf_token": token, "name": "chen", "role": "reviewer", "password": "y" * MIN_PASSWORD},
        follow_redirects=False,
    )
    assert added.status_code == 303


def test_error_pages_show_the_navigation_to_logged_in_users(site: Site) -> None:  # noqa: F811
    seeded, config = site
    anonymous, reviewer = client_for(seeded, config), client_for(seeded, config)
    missing = anonymous.get("/no-such-page")
    assert missing.status_code == 404 and 'class="mainnav"' not in missing.text
    login(reviewer, "li")
    for path, code in (
        ("/no-such-page", 404),
        ("/cases/no-such-case", 404),
        ("/queue?date_from=yesterday", 400),
    ):
        page = reviewer.get(path)
        assert page.status_code == code, path
        assert 'class="mainnav"' in page.text and f"({code})" in page.text and "li · 审核员" in page.text
    forged = reviewer.post(
        f"/cases/{seeded.case_ids[0]}/decide", data={"csrf_token": "x", "decision": "confirm"}
    )
    assert forged.status_code == 403 and 'class="mainnav"' in forged.text and "CSRF" in forged.text
    assert 'href="/admin/zones"' not in reviewer.get("/queue").text  # admins only
