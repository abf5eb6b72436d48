"""The evidence codec: what the device packs, the server can unpack and verify, and nothing else."""

import base64
import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.evidence import (
    BundleError,
    EvidenceFile,
    build_manifest,
    make_bundle,
    manifest_to_bytes,
    new_evidence_id,
    pack_bundle,
    sign_manifest,
    unpack_bundle,
    verify_bundle,
)

EVENT = {
    "t_start_utc": "2026-11-28T09:15:00.100Z",
    "t_end_utc": "2026-11-28T09:15:01.350Z",
    "stream_t_start": 1234.5,
    "stream_t_end": 1235.75,
    "azimuth_deg": 12.4,
    "elevation_deg": -8.1,
    "pixel": [1402.0, 655.5],
    "confidence": 0.97,
    "horn_probability": 0.99,
    "spl_db": 86.2,
    "spl_calibrated": True,
    "detected_after_s": 0.41,
    "inside_frame": True,
    "enforceable": True,
    "conditions": [],
}
CLOCK = {"synced": True, "source": "chrony", "offset_s": 0.0021}
DEVICE_INFO = {
    "firmware": "honkwatch 0.1.0",
    "profile": "pole-spiral64",
    "channels": 64,
    "sample_rate": 48000,
}


def _files() -> list[EvidenceFile]:
    return [
        EvidenceFile("wide.jpg", "wide_overlay", b"\xff\xd8jpeg-bytes" * 10),
        EvidenceFile("beam.flac", "audio_beam", b"fLaC" + bytes(range(256))),
        EvidenceFile("spectrogram.png", "spectrogram", b"\x89PNG" + b"\x00" * 33),
    ]


def _manifest(**over):
    kwargs = dict(
        device="pole-07", zone="Z01", event=EVENT, clock=CLOCK, device_info=DEVICE_INFO, files=_files()
    )
    kwargs.update(over)
    return build_manifest(**kwargs)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _doc(payload: bytes) -> dict:
    return json.loads(payload)


def _repack(doc: dict) -> bytes:
    return json.dumps(doc).encode()


def test_round_trip_verifies_and_keeps_exact_bytes(key):
    manifest = _manifest()
    payload = make_bundle(key, manifest, _files())
    bundle = unpack_bundle(payload)
    verify_bundle(bundle, key.public_key())
    assert bundle.manifest_bytes == manifest_to_bytes(manifest)
    assert bundle.manifest.id == manifest.id
    assert bundle.manifest.event.pixel == (1402.0, 655.5)
    assert bundle.files["beam.flac"] == _files()[1].data
    entry = bundle.manifest.file("beam.flac")
    assert entry.sha256 == hashlib.sha256(_files()[1].data).hexdigest()
    assert entry.size == 4 + 256 and entry.media_type == "audio/flac"
    assert bundle.manifest.created_utc.tzinfo is not None


def test_manifest_bytes_use_contract_time_format_and_keep_unknown_fields(key):
    created = datetime(2026, 11, 28, 9, 15, 3, 412999, tzinfo=UTC)
    manifest = _manifest(created_utc=created, extra={"site_note": "north pole"}, evidence_id="ev_1")
    doc = json.loads(manifest_to_bytes(manifest))
    assert doc["created_utc"] == "2026-11-28T09:15:03.412Z"
    assert doc["site_note"] == "north pole"
    assert doc["id"] == "ev_1" and doc["format"] == "honkwatch-evidence/1"
    assert doc["plate"] == {"text": None, "source": None}
    bundle = unpack_bundle(make_bundle(key, manifest, _files()))
    assert bundle.manifest.model_extra == {"site_note": "north pole"}


def test_ulids_are_unique_sortable_and_valid_ids():
    ids = [new_evidence_id(1_800_000_000 + i) for i in range(50)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 50
    assert all(len(i) == 26 for i in ids)


def test_foreign_key_is_rejected(key):
    payload = make_bundle(key, _manifest(), _files())
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(BundleError) as err:
        verify_bundle(unpack_bundle(payload), other)
    assert err.value.code == "bad_signature"


def test_tampered_manifest_breaks_signature(key):
    doc = _doc(make_bundle(key, _manifest(), _files()))
    text = base64.b64decode(doc["manifest"]).replace(b'"Z01"', b'"Z02"')
    doc["manifest"] = base64.b64encode(text).decode()
    bundle = unpack_bundle(_repack(doc))  # still a valid manifest ...
    with pytest.raises(BundleError) as err:  # ... but not the one that was signed
        verify_bundle(bundle, key.public_key())
    assert err.value.code == "bad_signature"


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: d["files"].update({"extra.bin": base64.b64encode(b"x").decode()}), "file_unlisted"),
        (lambda d: d["files"].pop("beam.flac"), "file_missing"),
        (lambda d: d["files"].update({"wide.jpg": base64.b64encode(b"short").decode()}), "file_mismatch"),
    ],
)
def test_file_problems_are_named(key, mutate, code):
    doc = _doc(make_bundle(key, _manifest(), _files()))
    mutate(doc)
    with pytest.raises(BundleError) as err:
        verify_bundle(unpack_bundle(_repack(doc)), key.public_key())
    assert err.value.code == code


def test_same_size_different_content_is_a_hash_mismatch(key):
    doc = _doc(make_bundle(key, _manifest(), _files()))
    beam = bytearray(base64.b64decode(doc["files"]["beam.flac"]))
    beam[-1] ^= 1
    doc["files"]["beam.flac"] = base64.b64encode(bytes(beam)).decode()
    with pytest.raises(BundleError, match="SHA-256"):
        verify_bundle(unpack_bundle(_repack(doc)), key.public_key())


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xfe not json", "bad_payload"),
        (b"[1, 2]", "bad_payload"),
        (b'{"format": "other/1", "manifest": "", "signature": "", "files": {}}', "bad_payload"),
        (b'{"format": "honkwatch-bundle/1", "signature": "", "files": {}}', "bad_payload"),
        (b'{"format": "honkwatch-bundle/1", "manifest": "***", "signature": "", "files": {}}', "bad_payload"),
        (
            b'{"format": "honkwatch-bundle/1", "manifest": "", "signature": "AAAA", "files": {}}',
            "bad_signature",
        ),
    ],
)
def test_malformed_payloads(payload, code):
    with pytest.raises(BundleError) as err:
        unpack_bundle(payload)
    assert err.value.code == code


def test_size_limit_is_checked_before_parsing(key):
    payload = make_bundle(key, _manifest(), _files())
    with pytest.raises(BundleError) as err:
        unpack_bundle(payload, max_bytes=len(payload) - 1)
    assert err.value.code == "too_large"
    assert unpack_bundle(payload, max_bytes=len(payload)).manifest.device == "pole-07"


def _signed_payload(key, manifest_doc: dict, files: dict[str, bytes]) -> bytes:
    raw = json.dumps(manifest_doc).encode()
    return pack_bundle(raw, sign_manifest(key, raw), files)


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("id",), "has/slash", "id"),
        (("id",), "x" * 65, "id"),
        (("device",), "pole+7", "device"),
        (("files", 0, "name"), "../etc/passwd", "files.0.name"),
        (("files", 0, "name"), ".hidden", "files.0.name"),
        (("files", 0, "sha256"), "AB" * 32, "files.0.sha256"),
        (("files", 0, "role"), "selfie", "files.0.role"),
        (("files", 0, "size"), "12", "files.0.size"),
        (("created_utc",), "2026-11-28T09:15:03", "created_utc"),
        (("format",), "honkwatch-evidence/2", "format"),
        (("event", "confidence"), 1.5, "event.confidence"),
    ],
)
def test_schema_rejects_bad_fields_naming_them(key, path, value, needle):
    doc = json.loads(manifest_to_bytes(_manifest()))
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(BundleError) as err:
        unpack_bundle(_signed_payload(key, doc, {}))
    assert err.value.code == "bad_manifest"
    assert needle in err.value.reason


def test_manifest_needs_beam_audio_and_unique_names(key):
    doc = json.loads(manifest_to_bytes(_manifest()))
    doc["files"] = [f for f in doc["files"] if f["role"] != "audio_beam"]
    with pytest.raises(BundleError, match="audio_beam"):
        unpack_bundle(_signed_payload(key, doc, {}))
    doc = json.loads(manifest_to_bytes(_manifest()))
    doc["files"].append(dict(doc["files"][0]))
    with pytest.raises(BundleError, match="twice"):
        unpack_bundle(_signed_payload(key, doc, {}))


def test_event_must_not_end_before_it_starts():
    bad = dict(EVENT, t_end_utc="2026-11-28T09:14:59.000Z")
    with pytest.raises(ValueError, match="ends before"):
        _manifest(event=bad)


def test_make_bundle_refuses_files_the_manifest_does_not_list(key):
    with pytest.raises(BundleError) as err:
        make_bundle(key, _manifest(), _files()[:2])
    assert err.value.code == "file_mismatch"


def test_codec_imports_without_numpy():
    code = "import sys, edge.evidence.bundle; assert 'numpy' not in sys.modules, 'numpy imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
