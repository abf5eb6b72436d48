"""Content-addressed media storage: the interface and its filesystem implementation."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol, runtime_checkable

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class MediaNotFound(KeyError):
    """No object with that hash is stored."""


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 of `data`: the key under which it is stored."""
    return hashlib.sha256(data).hexdigest()


@runtime_checkable
class MediaStore(Protocol):
    """Immutable blobs keyed by the SHA-256 of their bytes.

    Content addressing makes every write idempotent (a duplicate delivery or two workers
    racing write the same bytes to the same key), lets identical files share storage, and
    lets anyone check an object against the hash in the signed manifest.
    """

    def put(self, data: bytes) -> str:
        """Store `data` durably (done when this returns) and return its SHA-256 hex."""
        ...

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """Store several objects durably, as fast as the backend allows (one bundle's files)."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes stored under `sha256`; raises `MediaNotFound`."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether an object with this hash is stored."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove an object (retention jobs); missing objects are ignored."""
        ...


class FileMediaStore:
    """Objects as files under `root/ab/cd/<sha256>`, written atomically.

    Each write goes to a temporary file in the same directory, is fsynced, renamed over the
    final name and the directory fsynced: a crash leaves either the whole object or nothing,
    never a truncated file under a valid hash.
    """

    def __init__(self, root: str | os.PathLike[str], write_threads: int = 8) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=write_threads, thread_name_prefix="media-write")

    def path_for(self, sha256: str) -> Path:
        """Where the object lives on disk (for streaming responses); validates the key."""
        if not _SHA256.match(sha256):
            raise MediaNotFound(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        final = self.path_for(digest)
        if final.exists():
            return digest
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        return digest

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """Like `put` for each blob, the writes in parallel threads.

        Why: durability costs one file and one directory fsync per object, and fsyncs waited
        on together share the filesystem's journal commits: a bundle's six files store in
        about the time of two sequential ones.
        """
        if len(blobs) <= 1:
            return [self.put(b) for b in blobs]
        return list(self._pool.map(self.put, blobs))

    def get(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            raise MediaNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        try:
            return self.path_for(sha256).is_file()
        except MediaNotFound:
            return False

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
