"""The review pages and the JSON API against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from server_support import server_config  # noqa: F401  (fixture)
from server_web_support import PASSWORD, Seeded, seed
from sqlalchemy import select

from server.config import ServerConfig
from server.storage.models import CASE_STATUSES, AuditLog, Case, Device, Review, User
from server.web import create_app
from server.web.i18n import LOCALE_DIR, catalog
from server.web.review import ReviewError, decide


@pytest.fixture
def site(server_config: ServerConfig) -> Iterator[tuple[Seeded, ServerConfig]]:  # noqa: F811
    seeded = seed(server_config, with_cases=3)
    yield seeded, server_config
    seeded.engine.dispose()


def client_for(seeded: Seeded, config: ServerConfig) -> TestClient:
    return TestClient(create_app(config, engine=seeded.engine, media=seeded.media))


def csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def login(client: TestClient, name: str) -> None:
    response = client.post(
        "/login",
        data={"csrf_token": csrf(client), "username": name, "password": PASSWORD, "next": "/queue"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/queue"


def audit_actions(seeded: Seeded, case_id: str | None = None) -> list[tuple[str, str]]:
    with seeded.sessions() as db:
        query = select(AuditLog).order_by(AuditLog.id)
        if case_id:
            query = query.where(AuditLog.case_id == case_id)
        return [(e.actor, e.action) for e in db.scalars(query)]


def test_login_required_and_wrong_password(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    client = client_for(seeded, config)
    response = client.get("/queue?zone=Z01", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/queue")
    bad = client.post("/login", data={"csrf_token": csrf(client), "username": "li", "password": "nope"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    login(client, "li")
    assert "待审案件" in client.get("/queue").text  # Chinese by default
    assert ("server", "user.login_failed") in audit_actions(seeded)
    assert ("li", "user.login") in audit_actions(seeded)
    # Logging out ends the session: the queue asks for a login again.
    client.post("/logout", data={"csrf_token": csrf(client, "/queue")})
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_csrf_token_is_required_on_every_post(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    client = client_for(seeded, config)
    assert client.post("/login", data={"username": "li", "password": PASSWORD}).status_code == 403
    login(client, "li")
    case_id = seeded.case_ids[0]
    for token in ("", "forged-token"):
        response = client.post(f"/cases/{case_id}/decide", data={"csrf_token": token, "decision": "confirm"})
        assert response.status_code == 403
        assert "CSRF" in response.text
    response = client.post(f"/cases/{case_id}/plate", data={"plate": "粤B12345"})
    assert response.status_code == 403
    with seeded.sessions() as db:
        case = db.get(Case, case_id)
        assert case.status == "pending" and case.plate_corrected is None


def test_roles_guard_pages(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    reviewer, supervisor, admin = (client_for(seeded, config) for _ in range(3))
    login(reviewer, "li")
    login(supervisor, "zhao")
    login(admin, "admin")
    assert reviewer.get("/admin/users").status_code == 403
    assert reviewer.get("/reports").status_code == 403
    assert "无权访问" in reviewer.get("/admin/users").text
    assert supervisor.get("/admin/users").status_code == 403
    assert supervisor.get("/reports").status_code == 200
    report_page = supervisor.get("/reports?period=2026-11-H2&basis=detected").text
    assert 'id="rectification-list"' in report_page and "<svg" in report_page
    assert "示例数据" not in report_page
    report_csv = supervisor.get("/reports/half-month.csv?period=2026-11-H2&basis=detected")
    assert "2026-11-H2,zone,Z01,深南大道华强路口,福田区,3,0,,1" in report_csv.text
    hourly_csv = supervisor.get("/reports/hourly.csv?period=2026-11-H2&basis=detected").text
    assert hourly_csv.splitlines()[1].startswith("Z01,深南大道华强路口," + "0," * 9 + "3,")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "wang" in page.text
    # An admin adds a user through the page (CSRF-protected) and it can log in.
    token = csrf(admin, "/admin/users")
    added = admin.post(
        "/admin/users",
        data={"csrf_token": token, "name": "chen", "role": "reviewer", "password": PASSWORD},
        follow_redirects=False,
    )
    assert added.status_code == 303
    login(client_for(seeded, config), "chen")
    assert ("admin", "user.add") in audit_actions(seeded)


def test_language_switch_and_zone_time(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    client = client_for(seeded, config)
    login(client, "li")
    case_id = seeded.case_ids[0]  # 2026-11-20 01:30 UTC = 09:30 in Shanghai
    page = client.get(f"/cases/{case_id}")
    assert "2026-11-20 09:30:00 +08:00" in page.text
    assert "深南大道华强路口" in page.text and "粤R·12340" in page.text
    assert '<html lang="zh-CN">' in page.text and "确认违法" in page.text
    switched = client.get(f"/lang/en?next=/cases/{case_id}")
    assert switched.status_code == 200 and '<html lang="en">' in switched.text
    assert "Confirm violation" in switched.text and "Shennan Rd at Huaqiang Rd" in switched.text
    with seeded.sessions() as db:
        assert db.scalar(select(User.language).where(User.name == "li")) == "en"
    # An open redirect through the language switch is refused.
    away = client.get("/lang/zh?next=//evil.example/", follow_redirects=False)
    assert away.headers["location"] == "/queue"


def test_queue_filters(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    seeded.add_case(datetime(2026, 11, 22, 3, 0, tzinfo=UTC), zone="Z02", confidence=0.6)
    client = client_for(seeded, config)
    login(client, "li")
    assert client.get("/queue").text.count('data-href="/cases/') == 4
    assert client.get("/queue?zone=Z02").text.count('data-href="/cases/') == 1
    assert client.get("/queue?min_confidence=0.9").text.count('data-href="/cases/') == 3
    # 2026-11-22 03:00 UTC is 11:00 on the 22nd in Shanghai; the 20th holds the three seeded cases.
    assert client.get("/queue?date_from=2026-11-20&date_to=2026-11-20").text.count('data-href="/cases/') == 3
    assert client.get("/queue?status=confirmed").text.count('data-href="/cases/') == 0
    bad_date = client.get("/queue?date_from=20-11-2026")
    assert bad_date.status_code == 400 and "dates must be YYYY-MM-DD" in bad_date.text
    headers = client.get("/queue").headers
    assert (
        headers["x-frame-options"] == "DENY"
        and "frame-ancestors 'none'" in headers["content-security-policy"]
    )


def test_plate_correction_is_validated_and_audited(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    client = client_for(seeded, config)
    login(client, "li")
    case_id = seeded.case_ids[2]  # the device read no plate
    token = csrf(client, f"/cases/{case_id}")
    bad = client.post(f"/cases/{case_id}/plate", data={"csrf_token": token, "plate": "ABC"})
    assert "车牌格式不正确" in bad.text
    good = client.post(f"/cases/{case_id}/plate", data={"csrf_token": token, "plate": "粤b 5432·1"})
    assert "粤B·54321" in good.text
    with seeded.sessions() as db:
        assert db.get(Case, case_id).plate_corrected == "粤B54321"
        entry = db.scalar(select(AuditLog).where(AuditLog.action == "case.plate"))
        assert entry.actor == "li" and entry.case_id == case_id
        assert entry.detail == {"old": None, "new": "粤B54321"}


def test_confirm_reject_and_second_reviewer_rule(server_config: ServerConfig) -> None:  # noqa: F811
    server_config.review.second_reviewer = True
    seeded = seed(server_config, with_cases=2)
    first, second = client_for(seeded, server_config), client_for(seeded, server_config)
    login(first, "li")
    login(second, "wang")
    case_id, other_id = seeded.case_ids
    token = csrf(first, f"/cases/{case_id}")
    # Confirming moves on to the next case of the queue.
    moved = first.post(
        f"/cases/{case_id}/decide", data={"csrf_token": token, "decision": "confirm"}, follow_redirects=False
    )
    assert moved.headers["location"] == f"/cases/{other_id}"
    again = first.post(f"/cases/{case_id}/decide", data={"csrf_token": token, "decision": "confirm"})
    assert "复核确认必须由另一名审核员完成" in again.text
    with seeded.sessions() as db:
        assert db.get(Case, case_id).status == "needs_second"
    token2 = csrf(second, f"/cases/{case_id}")
    second.post(f"/cases/{case_id}/decide", data={"csrf_token": token2, "decision": "confirm"})
    # A rejection needs a reason, and is final.
    no_reason = second.post(f"/cases/{other_id}/decide", data={"csrf_token": token2, "decision": "reject"})
    assert "驳回前请选择原因" in no_reason.text
    second.post(
        f"/cases/{other_id}/decide",
        data={"csrf_token": token2, "decision": "reject", "reason": "emergency_vehicle", "note": "ambulance"},
    )
    with seeded.sessions() as db:
        assert db.get(Case, case_id).status == "confirmed"
        assert db.get(Case, other_id).status == "rejected"
        reviews = db.scalars(select(Review).where(Review.case_id == case_id).order_by(Review.id)).all()
        assert [(r.user.name, r.decision) for r in reviews] == [("li", "confirm"), ("wang", "confirm")]
    assert audit_actions(seeded, case_id) == [("li", "case.confirm"), ("wang", "case.confirm")]
    assert audit_actions(seeded, other_id) == [("wang", "case.reject")]
    page = second.get(f"/cases/{other_id}?status=all")
    assert "特种车辆（豁免）: ambulance" in page.text
    seeded.engine.dispose()


def test_export_lists_confirmed_cases_and_is_audited(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    client = client_for(seeded, config)
    login(client, "li")
    case_id = seeded.case_ids[1]
    client.post(
        f"/cases/{case_id}/decide", data={"csrf_token": csrf(client, "/queue"), "decision": "confirm"}
    )
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv").text.lstrip("\ufeff"))))
    assert [r["id"] for r in rows] == [case_id]
    assert rows[0]["plate"] == "粤R·12341" and rows[0]["t_start_local"] == "2026-11-20 09:37:00 +08:00"
    assert rows[0]["reviewers"] == "li" and rows[0]["audio_beam"].startswith("/media/")
    doc = client.get("/export.json").json()
    assert doc["cases"][0]["id"] == case_id and doc["cases"][0]["evidence"]["wide_overlay"].startswith(
        "/media/"
    )
    assert client.get("/export.csv?date_from=2026-11-21").text.count("\n") == 1  # header only
    assert audit_actions(seeded).count(("li", "case.export")) == 3
    # Evidence files stream from the media store, with byte ranges for the audio player.
    beam = client.get(rows[0]["audio_beam"], headers={"Range": "bytes=0-3"})
    assert beam.status_code == 206 and beam.content == b"fLaC"
    assert beam.headers["content-type"] == "audio/flac"


def test_device_status_page_flags_silent_devices(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    with seeded.sessions() as db:
        device = db.get(Device, "pole-07")
        device.status = "online"
        device.last_seen = datetime.now(UTC) - timedelta(hours=2)
        device.last_health_at = device.last_seen
        device.queue_depth, device.dead_channels, device.clock_offset_s = 12, [5, 17], 0.0031
        db.commit()
    client = client_for(seeded, config)
    login(client, "li")
    page = client.get("/devices")
    assert "1 台设备需要处理" in page.text and "长时间无消息" in page.text and "5, 17" in page.text
    assert "3.1 ms" in page.text
    with seeded.sessions() as db:
        device = db.get(Device, "pole-07")
        device.last_seen, device.dead_channels = datetime.now(UTC), []
        db.commit()
    page = client.get("/devices")
    assert "需要处理" not in page.text and "● 在线" in page.text
    # Online and talking, but its array delivers silence and its camera does not open: the
    # heartbeat's conditions are the only sign, and they make the device an alert.
    silent = "audio silent: no channel above -120 dBFS in 100% of the audio since the last heartbeat"
    wind = "wind: enforcement suspended for 64% of the time since the last heartbeat"
    storage = (
        "storage: 3 bundle(s) of evidence (1.2 MB) held in memory, not yet stored "
        "(database or disk is full); lost if the node restarts"
    )
    with seeded.sessions() as db:
        device = db.get(Device, "pole-07")
        device.last_health = {
            "conditions": [
                silent,
                "camera reconnecting: no such file",
                wind,
                "hot: CPU at 84 °C",
                storage,
                "disk low: 41 MB free on the outbox's disk, under the 64 MB kept free; acknowledged "
                "local copies are given up first",
            ],
            "quota_alarm": True,
            "config_error": "detector.threshold: must be below 1",
        }
        db.commit()
    page = client.get("/devices")
    assert "1 台设备需要处理" in page.text and "● 在线" in page.text
    assert all(
        w in page.text
        for w in (
            "音频故障",
            "摄像头故障",
            "大风：暂停执法",
            "设备过热",
            "配置被拒",
            "存储将满",
            "证据未能保存",
            silent,
            wind,
            storage,
        )
    )
    api = client.get("/api/v1/devices", headers={"Authorization": f"Bearer {seeded.tokens['li']}"}).json()
    pole = next(d for d in api if d["id"] == "pole-07")
    assert (
        pole["alerts"] == ["audio", "camera", "wind", "hot", "storage", "disk", "config"]
        and pole["conditions"][0] == silent
    )


def test_api_tokens_roles_and_review(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, config = site
    client = client_for(seeded, config)
    bearer = {name: {"Authorization": f"Bearer {tok}"} for name, tok in seeded.tokens.items()}
    missing = client.get("/api/v1/cases")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/api/v1/cases", headers={"Authorization": "Bearer hw_wrong"}).status_code == 401
    listed = client.get("/api/v1/cases", headers=bearer["li"]).json()
    assert listed["total"] == 3 and listed["cases"][0]["time_zone"] == "Asia/Shanghai"
    case_id = listed["cases"][0]["id"]
    assert client.get("/api/v1/cases?zone=Z02", headers=bearer["li"]).json()["total"] == 0
    assert client.get("/api/v1/cases?status=bogus", headers=bearer["li"]).status_code == 400
    assert client.get("/api/v1/reports/half-month", headers=bearer["li"]).status_code == 403
    assert client.get("/api/v1/audit", headers=bearer["li"]).status_code == 403
    bad = client.post(f"/api/v1/cases/{case_id}/review", headers=bearer["li"], json={"decision": "reject"})
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "reason_required"
    done = client.post(
        f"/api/v1/cases/{case_id}/review",
        headers=bearer["li"],
        json={"decision": "confirm", "plate": "粤R·99999"},
    )
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    assert done.json()["plate"] == "粤R·99999" and done.json()["reviewers"] == ["li"]
    again = client.post(
        f"/api/v1/cases/{case_id}/review", headers=bearer["wang"], json={"decision": "confirm"}
    )
    assert again.status_code == 409
    export = client.get("/api/v1/exports/confirmed", headers=bearer["li"]).json()
    assert [c["id"] for c in export["cases"]] == [case_id]
    wide = export["cases"][0]["evidence"]["wide_overlay"]
    assert client.get(wide).status_code == 401
    image = client.get(wide, headers=bearer["li"])
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    history = client.get(f"/api/v1/cases/{case_id}/audit", headers=bearer["li"]).json()
    assert [e["action"] for e in history] == ["case.plate", "case.confirm"]
    report = client.get("/api/v1/reports/half-month?period=2026-11-H2", headers=bearer["zhao"]).json()
    assert {z["id"]: z["count"] for z in report["zones"]} == {"Z01": 1, "Z02": 0, "Z03": 0}
    assert report["rectification"] == ["Z01"]
    assert client.get("/api/v1/reports/half-month?period=2026-13", headers=bearer["zhao"]).status_code == 400
    devices = client.get("/api/v1/devices", headers=bearer["li"]).json()
    assert devices[0]["id"] == "pole-07" and devices[0]["status"] == "unknown" and not devices[0]["online"]
    zones = client.get("/api/v1/zones", headers=bearer["li"]).json()
    assert [z["id"] for z in zones] == ["Z01", "Z02", "Z03"]
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/cases/{case_id}/review" in spec["paths"] and "/queue" not in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/docs-static/swagger-ui-bundle.js" in docs.text  # no CDN
    assert client.get("/api/docs-static/swagger-ui-bundle.js").status_code == 200
    assert json.dumps(spec)  # the spec is plain JSON


def test_two_officers_deciding_at_once_cannot_both_win(site: tuple[Seeded, ServerConfig]) -> None:
    seeded, _ = site
    case_id = seeded.case_ids[0]
    with seeded.sessions() as first_db, seeded.sessions() as second_db:
        li = first_db.scalar(select(User).where(User.name == "li"))
        wang = second_db.scalar(select(User).where(User.name == "wang"))
        first_case, second_case = first_db.get(Case, case_id), second_db.get(Case, case_id)
        assert first_case.status == second_case.status == "pending"  # both loaded the open case
        decide(first_db, first_case, li, "confirm")
        first_db.commit()
        with pytest.raises(ReviewError) as lost:
            decide(second_db, second_case, wang, "reject", reason="not_a_horn")
        second_db.rollback()
    assert lost.value.code == "already_decided"
    with seeded.sessions() as db:
        assert db.get(Case, case_id).status == "confirmed"
        assert [r.decision for r in db.get(Case, case_id).reviews] == ["confirm"]


def test_both_catalogs_carry_every_message_the_templates_use() -> None:
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    used = set()
    for template in (LOCALE_DIR.parent / "templates").glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z_]+\.[a-z_.]+)["']""", template.read_text(encoding="utf-8")))
    used = {key for key in used if not key.endswith(("_", "."))}  # prefixes completed at render time
    assert len(used) > 100
    assert {f"status.{s}" for s in ("open", "all", *CASE_STATUSES)} <= set(zh)
    assert used <= set(zh), sorted(used - set(zh))
    assert zh["case.confirm"] == "确认违法" and en["case.confirm"] == "Confirm violation"
