"""Evidence files for the case page, streamed from the media store with HTTP range support.

Range requests matter for the audio player: Chromium seeks in a FLAC file by asking for byte
ranges, and the officer replays the horn several times.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.media import MediaNotFound, MediaStore
from server.storage.models import CaseMedia
from server.web.context import Db, page_user

router = APIRouter()
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def media_response(request: Request, db: Session, sha256: str) -> Response:
    """The bytes of a stored evidence file (only files that belong to a case are served)."""
    row = db.scalar(select(CaseMedia).where(CaseMedia.sha256 == sha256).limit(1))
    store: MediaStore = request.app.state.media
    if row is None:
        raise HTTPException(404, "no such evidence file")
    try:
        data = store.get(sha256)
    except MediaNotFound:
        raise HTTPException(404, "evidence file missing from the media store") from None
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=86400, immutable"}
    match = _RANGE.match(request.headers.get("range", ""))
    if match and (match.group(1) or match.group(2)):
        size = len(data)
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:  # suffix range: the last N bytes
            start, end = max(0, size - int(match.group(2))), size - 1
        if start >= size or start > end:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return Response(data[start : end + 1], 206, headers=headers, media_type=row.media_type)
    return Response(data, headers=headers, media_type=row.media_type)


@router.get("/media/{sha256}", dependencies=[Depends(page_user)])
def media(request: Request, sha256: str, db: Db) -> Response:
    return media_response(request, db, sha256)
