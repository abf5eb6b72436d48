"""Media: evidence files and rejected payloads, stored by the SHA-256 of their bytes.

`MediaStore` is the interface the rest of the server uses; `FileMediaStore` keeps the bytes
on local disk. An S3-compatible store replaces it by implementing the same four methods.
"""

from server.media.store import FileMediaStore, MediaNotFound, MediaStore, sha256_hex

__all__ = ["FileMediaStore", "MediaNotFound", "MediaStore", "sha256_hex"]
