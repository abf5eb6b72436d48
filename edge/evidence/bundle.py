"""The `honkwatch-evidence/1` manifest and the `honkwatch-bundle/1` MQTT payload (docs/evidence-format.md).

Both the edge node (which builds and signs bundles) and the server (which unpacks and verifies
them) import this module, so it depends only on pydantic, cryptography and the standard library.

The device signs the *exact* manifest bytes it publishes; the server verifies those bytes and
parses them, never a re-serialisation, so a JSON library's whims cannot break a signature.
Every way a payload can be wrong raises `BundleError` with a short `code` (for counting and
quarantine) and a `reason` that names the problem.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)

MANIFEST_FORMAT = "honkwatch-evidence/1"
PAYLOAD_FORMAT = "honkwatch-bundle/1"
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
SIGNATURE_BYTES = 64

ID_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"
# Plain file names: no path separators, no leading dot (no `..`, no hidden files).
FILE_NAME_PATTERN = r"^[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"

Role = Literal[
    "wide_overlay",
    "closeup",
    "sound_map",
    "spectrogram",
    "audio_beam",
    "audio_reference",
    "audio_multichannel",
]
REQUIRED_ROLES: tuple[Role, ...] = ("audio_beam",)

_MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".json": "application/json",
}


class BundleError(ValueError):
    """A payload or manifest that breaks the contract; `code` is stable, `reason` is for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def format_utc(moment: datetime) -> str:
    """ISO 8601 UTC with millisecond precision and `Z`, the one time format of the contract."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: evidence times must be timezone-aware UTC")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_utc(value: Any) -> Any:
    """Accept only `...Z` strings (or aware datetimes): an offset-less time is ambiguous evidence."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("time must be timezone-aware UTC")
        return value.astimezone(UTC)
    if not isinstance(value, str) or not value.endswith("Z"):
        raise ValueError("time must be an ISO 8601 UTC string ending in 'Z'")
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from exc


UtcTime = Annotated[datetime, BeforeValidator(_parse_utc), PlainSerializer(format_utc, return_type=str)]
EvidenceId = Annotated[str, Field(pattern=ID_PATTERN)]
DeviceId = Annotated[str, Field(pattern=ID_PATTERN)]
Sha256Hex = Annotated[str, Field(pattern=SHA256_PATTERN)]


class _Open(BaseModel):
    """Unknown fields are allowed and kept (the contract says so), so newer devices stay readable."""

    model_config = ConfigDict(extra="allow")


class FileEntry(_Open):
    name: Annotated[str, Field(pattern=FILE_NAME_PATTERN)]
    role: Role
    media_type: Annotated[str, Field(min_length=3, max_length=100)]
    sha256: Sha256Hex
    size: Annotated[int, Field(ge=0, strict=True)]


class Event(_Open):
    t_start_utc: UtcTime
    t_end_utc: UtcTime
    stream_t_start: float | None = None
    stream_t_end: float | None = None
    azimuth_deg: float
    elevation_deg: float
    pixel: tuple[float, float] | None = None
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    horn_probability: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    spl_db: float | None = None
    spl_calibrated: bool = False
    detected_after_s: float | None = None
    inside_frame: bool = False
    enforceable: bool
    conditions: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Event:
        if self.t_end_utc < self.t_start_utc:
            raise ValueError("event ends before it starts (t_end_utc < t_start_utc)")
        return self


class Clock(_Open):
    synced: bool
    source: str | None = None
    offset_s: float | None = None


class Plate(_Open):
    text: str | None = None
    source: str | None = None


class DeviceInfo(_Open):
    firmware: str
    profile: str | None = None
    array: str | None = None
    channels: int | None = None
    sample_rate: int | None = None


class ModelInfo(_Open):
    name: str
    version: str
    sha256: Sha256Hex | None = None


class Manifest(_Open):
    format: Literal["honkwatch-evidence/1"] = MANIFEST_FORMAT
    id: EvidenceId
    device: DeviceId
    zone: Annotated[str, Field(min_length=1, max_length=64)]
    created_utc: UtcTime
    event: Event
    clock: Clock
    plate: Plate = Field(default_factory=Plate)
    device_info: DeviceInfo
    models: list[ModelInfo] = Field(default_factory=list)
    files: Annotated[list[FileEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _files_consistent(self) -> Manifest:
        names = [f.name for f in self.files]
        if len(set(names)) != len(names):
            raise ValueError("files: a file name is listed twice")
        roles = {f.role for f in self.files}
        missing = [r for r in REQUIRED_ROLES if r not in roles]
        if missing:
            raise ValueError(f"files: required role(s) missing: {', '.join(missing)}")
        return self

    def file(self, name: str) -> FileEntry:
        """The entry for `name`; KeyError if the manifest does not list it."""
        for entry in self.files:
            if entry.name == name:
                return entry
        raise KeyError(name)


@dataclass(frozen=True)
class EvidenceFile:
    """One file to put in a bundle, before hashing."""

    name: str
    role: Role
    data: bytes
    media_type: str | None = None

    def entry(self) -> dict[str, Any]:
        media_type = self.media_type or media_type_for(self.name)
        return {
            "name": self.name,
            "role": self.role,
            "media_type": media_type,
            "sha256": hashlib.sha256(self.data).hexdigest(),
            "size": len(self.data),
        }


@dataclass(frozen=True)
class Bundle:
    """An unpacked payload: the signed bytes, the parsed manifest and the files, not yet verified."""

    manifest_bytes: bytes
    signature: bytes
    manifest: Manifest
    files: Mapping[str, bytes]


def media_type_for(name: str) -> str:
    """The media type for a file name's extension; the builder may always pass one explicitly."""
    ext = os.path.splitext(name)[1].lower()
    try:
        return _MEDIA_TYPES[ext]
    except KeyError:
        raise ValueError(f"no media type known for {name!r}; pass media_type") from None


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_evidence_id(now_s: float | None = None) -> str:
    """A ULID: sorts by creation time (handy in the outbox and on the server), 26 chars, unique."""
    ms = int((time.time() if now_s is None else now_s) * 1000)
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def build_manifest(
    *,
    device: str,
    zone: str,
    event: Mapping[str, Any] | Event,
    clock: Mapping[str, Any] | Clock,
    device_info: Mapping[str, Any] | DeviceInfo,
    files: Sequence[EvidenceFile],
    models: Sequence[Mapping[str, Any] | ModelInfo] = (),
    plate: Mapping[str, Any] | Plate | None = None,
    evidence_id: str | None = None,
    created_utc: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Manifest:
    """A validated manifest whose `files` carry the SHA-256 and size of the given data."""
    fields: dict[str, Any] = dict(extra or {})
    fields.update(
        format=MANIFEST_FORMAT,
        id=evidence_id or new_evidence_id(),
        device=device,
        zone=zone,
        created_utc=created_utc or datetime.now(UTC),
        event=event,
        clock=clock,
        plate=plate if plate is not None else Plate(),
        device_info=device_info,
        models=list(models),
        files=[f.entry() for f in files],
    )
    return Manifest.model_validate(fields)


def manifest_to_bytes(manifest: Manifest) -> bytes:
    """The bytes that get signed and published (compact UTF-8 JSON, nulls kept)."""
    return manifest.model_dump_json(by_alias=True).encode("utf-8")


def sign_manifest(private_key: Ed25519PrivateKey, manifest_bytes: bytes) -> bytes:
    """The 64-byte Ed25519 signature over the exact manifest bytes."""
    return private_key.sign(manifest_bytes)


def pack_bundle(manifest_bytes: bytes, signature: bytes, files: Mapping[str, bytes]) -> bytes:
    """The MQTT payload: one JSON object with base64 manifest, signature and files."""
    if len(signature) != SIGNATURE_BYTES:
        raise BundleError("bad_signature", f"signature is {len(signature)} bytes, expected 64")
    doc = {
        "format": PAYLOAD_FORMAT,
        "manifest": base64.b64encode(manifest_bytes).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
        "files": {name: base64.b64encode(data).decode("ascii") for name, data in files.items()},
    }
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def make_bundle(private_key: Ed25519PrivateKey, manifest: Manifest, files: Sequence[EvidenceFile]) -> bytes:
    """Serialise, sign and pack: the payload a device puts in its outbox under `manifest.id`."""
    listed = {f.name for f in manifest.files}
    given = {f.name for f in files}
    if listed != given:
        raise BundleError("file_mismatch", f"manifest lists {sorted(listed)}, files given {sorted(given)}")
    manifest_bytes = manifest_to_bytes(manifest)
    signature = sign_manifest(private_key, manifest_bytes)
    return pack_bundle(manifest_bytes, signature, {f.name: f.data for f in files})


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise BundleError("bad_payload", f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BundleError("bad_payload", f"{what} is not valid base64") from None


def _summarise(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"manifest holds the non-finite number {name}")


def parse_manifest(manifest_bytes: bytes) -> Manifest:
    """Parse and validate manifest bytes against the schema, or raise BundleError('bad_manifest')."""
    try:
        text = manifest_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError("bad_manifest", "manifest is not UTF-8") from None
    try:
        # NaN/Infinity are valid to Python's json but not to PostgreSQL or to a court: refuse them here.
        json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise BundleError("bad_manifest", "manifest JSON is nested too deeply") from None
    except ValueError as exc:
        raise BundleError("bad_manifest", str(exc)) from None
    try:
        return Manifest.model_validate_json(text)
    except ValidationError as exc:
        raise BundleError("bad_manifest", _summarise(exc)) from None


def unpack_bundle(payload: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Bundle:
    """Parse a payload and its manifest (size, JSON, base64, schema); the signature is not checked yet."""
    if len(payload) > max_bytes:
        raise BundleError("too_large", f"payload is {len(payload)} bytes, limit {max_bytes}")
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError("bad_payload", f"payload is not UTF-8 JSON ({exc})") from None
    except RecursionError:
        raise BundleError("bad_payload", "payload JSON is nested too deeply") from None
    if not isinstance(doc, dict):
        raise BundleError("bad_payload", "payload is not a JSON object")
    if doc.get("format") != PAYLOAD_FORMAT:
        raise BundleError("bad_payload", f"format is {doc.get('format')!r}, expected {PAYLOAD_FORMAT!r}")
    for key in ("manifest", "signature", "files"):
        if key not in doc:
            raise BundleError("bad_payload", f"payload has no {key!r}")
    manifest_bytes = _b64(doc["manifest"], "manifest")
    signature = _b64(doc["signature"], "signature")
    if len(signature) != SIGNATURE_BYTES:
        raise BundleError("bad_signature", f"signature is {len(signature)} bytes, expected 64")
    raw_files = doc["files"]
    if not isinstance(raw_files, dict):
        raise BundleError("bad_payload", "files must be an object of name → base64")
    files = {str(name): _b64(data, f"file {name!r}") for name, data in raw_files.items()}
    manifest = parse_manifest(manifest_bytes)
    return Bundle(manifest_bytes=manifest_bytes, signature=signature, manifest=manifest, files=files)


def verify_bundle(bundle: Bundle, public_key: Ed25519PublicKey) -> None:
    """Check the signature, then every listed file's size and SHA-256, and that none is unlisted."""
    try:
        public_key.verify(bundle.signature, bundle.manifest_bytes)
    except InvalidSignature:
        raise BundleError("bad_signature", "signature does not match the manifest and device key") from None
    listed = {entry.name: entry for entry in bundle.manifest.files}
    unlisted = sorted(set(bundle.files) - set(listed))
    if unlisted:
        raise BundleError("file_unlisted", f"file(s) not in the manifest: {', '.join(unlisted)}")
    for name, entry in listed.items():
        data = bundle.files.get(name)
        if data is None:
            raise BundleError("file_missing", f"{name} is listed but not in the payload")
        if len(data) != entry.size:
            raise BundleError("file_mismatch", f"{name} is {len(data)} bytes, manifest says {entry.size}")
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise BundleError("file_mismatch", f"{name} SHA-256 differs from the manifest")
