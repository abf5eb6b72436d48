"""Evidence: the signed `honkwatch-evidence/1` bundle and the device key that signs it.

`bundle` is shared with the server (it must not import numpy or anything edge-only).
"""

from edge.evidence.bundle import (
    DEFAULT_MAX_BYTES,
    MANIFEST_FORMAT,
    PAYLOAD_FORMAT,
    Bundle,
    BundleError,
    EvidenceFile,
    Manifest,
    build_manifest,
    format_utc,
    make_bundle,
    manifest_to_bytes,
    new_evidence_id,
    pack_bundle,
    parse_manifest,
    sign_manifest,
    unpack_bundle,
    verify_bundle,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MANIFEST_FORMAT",
    "PAYLOAD_FORMAT",
    "Bundle",
    "BundleError",
    "EvidenceFile",
    "Manifest",
    "build_manifest",
    "format_utc",
    "make_bundle",
    "manifest_to_bytes",
    "new_evidence_id",
    "pack_bundle",
    "parse_manifest",
    "sign_manifest",
    "unpack_bundle",
    "verify_bundle",
]
