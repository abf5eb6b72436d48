"""Confirmed violations for the enforcement system, as CSV or JSON.

The CSV is what a clerk opens in a spreadsheet (UTF-8 with BOM so Excel shows 粤 correctly);
the JSON is what the enforcement system ingests. Both carry the evidence links and the
manifest hash so each record can be traced back to the signed bundle.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.storage.models import Case, Review
from server.web.evidence import case_record
from server.web.queries import zone_map

CSV_COLUMNS = (
    "id",
    "zone_id",
    "zone_name_zh",
    "district",
    "device_id",
    "t_start_utc",
    "t_start_local",
    "plate",
    "spl_db",
    "confidence",
    "azimuth_deg",
    "reviewers",
    "decided_at",
    "manifest_sha256",
    "wide_overlay",
    "closeup",
    "audio_beam",
)


def confirmed_records(
    db: Session, since: datetime | None = None, until: datetime | None = None, *, api: bool = False
) -> list[dict[str, Any]]:
    """Confirmed cases whose honk started in [since, until), oldest first."""
    query = (
        select(Case)
        .where(Case.status == "confirmed")
        .options(selectinload(Case.media), selectinload(Case.reviews).selectinload(Review.user))
        .order_by(Case.t_start_utc, Case.id)
    )
    if since is not None:
        query = query.where(Case.t_start_utc >= since)
    if until is not None:
        query = query.where(Case.t_start_utc < until)
    zones = zone_map(db)
    return [case_record(case, zones.get(case.zone_id), api=api) for case in db.scalars(query)]


def to_csv(records: list[dict[str, Any]]) -> str:
    """One row per violation; evidence links are relative URLs on this server."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for rec in records:
        flat = {**rec, "reviewers": ";".join(rec["reviewers"]), **rec["evidence"]}
        writer.writerow(["" if flat.get(col) is None else flat.get(col) for col in CSV_COLUMNS])
    return out.getvalue()
