"""Detect a truncated WAV/RF64/W64 file before trusting its header.

libsndfile quietly shortens a WAV whose data chunk runs past the end of the file, so a scene
cut short by a full disk or an interrupted copy would replay as if it were whole. Walking the
RIFF chunks ourselves tells the declared data size from the bytes that are really there.
"""

import struct
from pathlib import Path

_W64_RIFF = bytes.fromhex("726966662E91CF11A5D628DB04C10000")
# The 'data' chunk's GUID (Sony Wave64), as libsndfile writes it.
_W64_DATA = bytes.fromhex("64617461F3ACD3118CD100C04F8EDB8A")


def declared_and_present_data_bytes(path: Path) -> tuple[int, int] | None:
    """(bytes the header declares for the data chunk, bytes present), or None if not a RIFF family file.

    Raises ValueError when the header itself is unreadable.
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(16)
        if len(head) < 12:
            raise ValueError(f"{path.name}: only {len(head)} bytes, not an audio file")
        if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
            return _walk_riff(f, size, rf64=head[:4] != b"RIFF")
        if head == _W64_RIFF:
            return _walk_w64(f, size)
    return None


def _walk_riff(f, size: int, rf64: bool) -> tuple[int, int]:
    f.seek(12)
    ds64_data: int | None = None
    while True:
        hdr = f.read(8)
        if len(hdr) < 8:
            raise ValueError("no 'data' chunk")
        cid, csize = hdr[:4], struct.unpack("<I", hdr[4:])[0]
        start = f.tell()
        if cid == b"ds64":
            body = f.read(min(csize, 28))
            if len(body) >= 16:
                ds64_data = struct.unpack("<Q", body[8:16])[0]
        elif cid == b"data":
            declared = ds64_data if (rf64 and csize == 0xFFFFFFFF and ds64_data is not None) else csize
            return declared, size - start
        f.seek(start + csize + (csize & 1))
        if f.tell() > size:
            raise ValueError(f"chunk {cid!r} runs past the end of the file")


def _walk_w64(f, size: int) -> tuple[int, int]:
    f.seek(40)
    while True:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise ValueError("no 'data' chunk")
        guid, csize = hdr[:16], struct.unpack("<Q", hdr[16:])[0]
        start = f.tell()
        if guid == _W64_DATA:
            return csize - 24, size - start
        f.seek(start + csize - 24 + ((8 - csize % 8) % 8))
        if f.tell() > size:
            raise ValueError("chunk runs past the end of the file")
