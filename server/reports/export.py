"""Reports as CSV for the supervisors' spreadsheets (UTF-8 with BOM so Excel reads Chinese)."""

from __future__ import annotations

import csv
import io

from server.reports.aggregate import HalfMonthReport


def half_month_csv(report: HalfMonthReport) -> str:
    """One row per zone, then one per district; `rate` empty when the previous count was zero."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", "level", "id", "name", "district", "count", "previous", "rate", "worse"])
    for level, rows in (("zone", report.zones), ("district", report.districts)):
        for row in rows:
            rate = "" if row.rate is None else f"{row.rate:.4f}"
            writer.writerow(
                [
                    report.period.label,
                    level,
                    row.key,
                    row.name,
                    row.district,
                    row.current,
                    row.previous,
                    rate,
                    int(row.worse),
                ]
            )
    return out.getvalue()


def hourly_csv(pattern: dict[str, list[int]], names: dict[str, str]) -> str:
    """One row per zone with 24 columns of cases by local hour."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["zone_id", "name", *[f"h{h:02d}" for h in range(24)]])
    for zone_id, counts in pattern.items():
        writer.writerow([zone_id, names.get(zone_id, zone_id), *counts])
    return out.getvalue()
