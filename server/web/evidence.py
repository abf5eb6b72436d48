"""A case as officers and the enforcement system see it: local time, plate format, media links.

One presenter for the case page, the export and the API, so a plate or a time never reads
differently in two places.
"""

from __future__ import annotations

from typing import Any

from server.reports.periods import zone_tz
from server.storage.models import Case, Zone
from server.web.formatting import display_plate, iso_utc, local_time


def media_url(sha256: str) -> str:
    """Where the page fetches one evidence file (content-addressed, so cacheable forever)."""
    return f"/media/{sha256}"


def api_media_url(sha256: str) -> str:
    return f"/api/v1/media/{sha256}"


def zone_name(zone: Zone | None, zone_id: str, lang: str) -> str:
    if zone is None:
        return zone_id
    return zone.name_zh if lang == "zh" else zone.name_en


def district_name(zone: Zone | None, lang: str) -> str:
    if zone is None:
        return ""
    return zone.district_zh if lang == "zh" else zone.district


def case_record(case: Case, zone: Zone | None, *, api: bool = False) -> dict[str, Any]:
    """A case as plain JSON values (the API's and the export's shape)."""
    tz = zone_tz(zone.tz if zone else None)
    link = api_media_url if api else media_url
    confirmations = [r for r in case.reviews if r.decision == "confirm"]
    return {
        "id": case.id,
        "status": case.status,
        "zone_id": case.zone_id,
        "zone_name_zh": zone.name_zh if zone else None,
        "zone_name_en": zone.name_en if zone else None,
        "district": zone.district if zone else None,
        "district_zh": zone.district_zh if zone else None,
        "device_id": case.device_id,
        "t_start_utc": iso_utc(case.t_start_utc),
        "t_end_utc": iso_utc(case.t_end_utc),
        "t_start_local": local_time(case.t_start_utc, tz),
        "time_zone": str(tz),
        "plate": display_plate(case.plate) or None,
        "plate_device": case.plate_text,
        "plate_corrected": display_plate(case.plate_corrected) or None,
        "spl_db": case.spl_db,
        "spl_calibrated": case.spl_calibrated,
        "azimuth_deg": case.azimuth_deg,
        "elevation_deg": case.elevation_deg,
        "confidence": case.confidence,
        "horn_probability": case.horn_probability,
        "enforceable": case.enforceable,
        "conditions": list(case.conditions or []),
        "clock_synced": case.clock_synced,
        "clock_offset_s": case.clock_offset_s,
        "signature_ok": case.signature_ok,
        "manifest_sha256": case.manifest_sha256,
        "reviewers": [r.user.name for r in confirmations],
        "decided_at": iso_utc(case.reviews[-1].created_at)
        if case.reviews and case.status in ("confirmed", "rejected")
        else None,
        "evidence": {m.role: link(m.sha256) for m in case.media},
        "media": [
            {
                "name": m.name,
                "role": m.role,
                "media_type": m.media_type,
                "sha256": m.sha256,
                "size": m.size,
                "url": link(m.sha256),
            }
            for m in case.media
        ],
    }
