"""Review decisions on cases: the rules shared by the review page and the JSON API.

Every change to a case goes through here so that the audit log and the second-reviewer rule
cannot be bypassed by one entry point forgetting them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from server.storage.models import AuditLog, Case, Review, User
from server.web.formatting import PlateError, validate_plate

OPEN_STATUSES = ("pending", "needs_second")
REJECT_REASONS = (
    "not_a_horn",
    "emergency_vehicle",
    "wrong_vehicle",
    "plate_unreadable",
    "outside_zone_or_hours",
    "equipment_fault",
    "other",
)
"""Reasons offered on the page; the API accepts them or free text (`other` needs a note)."""


class ReviewError(ValueError):
    """A review action that is not allowed; `code` is a stable word for API clients and i18n."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def audit(
    db: Session,
    user: User | None,
    action: str,
    *,
    case_id: str | None = None,
    target: str | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one audit entry (not committed: it commits with the change it records)."""
    entry = AuditLog(
        user_id=user.id if user else None,
        actor=user.name if user else "server",
        action=action,
        case_id=case_id,
        target=target,
        reason=reason,
        detail=detail or {},
    )
    db.add(entry)
    return entry


def correct_plate(db: Session, case: Case, user: User, text: str) -> None:
    """Set the reviewer's plate (empty clears the correction); audited with old and new value."""
    new = validate_plate(text) if text.strip() else None
    old = case.plate
    if new == case.plate_corrected:
        return
    case.plate_corrected = new
    audit(db, user, "case.plate", case_id=case.id, detail={"old": old, "new": case.plate})


def decide(
    db: Session,
    case: Case,
    user: User,
    decision: str,
    *,
    reason: str = "",
    plate: str | None = None,
    second_review: bool = False,
) -> Case:
    """Confirm or reject `case` as `user`; commits nothing, raises ReviewError when not allowed.

    With `second_review` on, a first confirmation only moves the case to ``needs_second``; a
    different person's confirmation makes it ``confirmed``. A rejection at either stage is final.
    """
    if case.status not in OPEN_STATUSES:
        raise ReviewError("already_decided", f"case {case.id} is {case.status}, not open for review")
    reason = reason.strip()
    if plate is not None and plate.strip():
        try:
            correct_plate(db, case, user, plate)
        except PlateError as exc:
            raise ReviewError("bad_plate", f"not a Chinese plate: {exc}") from exc
    if decision == "reject":
        if not reason:
            raise ReviewError("reason_required", "a rejection needs a reason")
        new_status = "rejected"
    elif decision == "confirm":
        if case.status == "needs_second" and any(
            r.user_id == user.id and r.decision == "confirm" for r in case.reviews
        ):
            raise ReviewError("same_reviewer", "the second confirmation must come from another reviewer")
        first = case.status == "pending"
        new_status = "needs_second" if second_review and first else "confirmed"
    else:
        raise ReviewError("bad_decision", f"unknown decision {decision!r}; use confirm or reject")
    old_status = case.status
    # Compare-and-set: of two officers deciding the same case at once (any web process), one wins.
    moved = db.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == old_status)
        .values(status=new_status)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise ReviewError("already_decided", f"case {case.id} was decided by someone else meanwhile")
    case.status = new_status
    case.reviews.append(Review(user_id=user.id, decision=decision, reason=reason, plate=case.plate))
    audit(
        db,
        user,
        f"case.{decision}",
        case_id=case.id,
        reason=reason,
        detail={"from": old_status, "to": new_status, "plate": case.plate},
    )
    return case
