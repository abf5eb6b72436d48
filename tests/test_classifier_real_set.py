"""The real-audio check set's builder: the committed table parses into the clips the model card
counts, and the Qt resource reader unpacks what a `.rcc` holds (gcompris keeps its sounds there)."""

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from models.training import debian_set


def test_table_parses_into_the_clips_the_card_counts() -> None:
    rows = debian_set.read_table(debian_set.TABLE)
    labels = [r.clip.split("/")[0] for r in rows]
    assert labels.count("horn") == 17 and labels.count("not_horn") == 128
    assert len({r.clip for r in rows}) == len(rows)  # no clip written twice
    assert all(r.package and r.path.startswith(("/", "(rcc in")) for r in rows)
    cut = {r.clip: r.segment for r in rows if r.segment}
    assert cut["not_horn/tuxpaint-stamps-default__firetruck.wav"] == (0.0, 5.0)
    assert all(0 <= a < b for a, b in cut.values())


def _rcc(files: dict[str, bytes]) -> bytes:
    """A version-1 binary Qt resource holding `files` in its root, the first one zlib-compressed."""
    names, payload, nodes = b"", b"", []
    name_at = {}
    for n in ["", *files]:
        name_at[n] = len(names)
        names += struct.pack(">HI", len(n), 0) + n.encode("utf-16-be")
    nodes.append(struct.pack(">IHII", name_at[""], debian_set.RCC_DIRECTORY, len(files), 1))
    for i, (n, data) in enumerate(files.items()):
        flags = debian_set.RCC_COMPRESSED if i == 0 else 0
        blob = struct.pack(">I", len(data)) + zlib.compress(data) if flags else data
        nodes.append(struct.pack(">IHII", name_at[n], flags, 0, len(payload)))
        payload += struct.pack(">I", len(blob)) + blob
    tree = b"".join(nodes)
    head = 20
    return (
        b"qres"
        + struct.pack(">IIII", 1, head, head + len(tree), head + len(tree) + len(payload))
        + (tree + payload + names)
    )


def test_rcc_reader_unpacks_plain_and_zlib_entries() -> None:
    files = {"a.ogg": b"compressed " * 50, "b.wav": b"stored as is"}
    assert debian_set.rcc_files(_rcc(files)) == {"/a.ogg": files["a.ogg"], "/b.wav": files["b.wav"]}
    with pytest.raises(ValueError, match="qres"):
        debian_set.rcc_files(b"RIFF" + bytes(40))


def test_clip_is_cut_mixed_down_and_padded(tmp_path: Path) -> None:
    fs = 8000
    stereo = np.stack([np.full(fs * 2, 0.25), np.full(fs * 2, -0.25 + 0.5)], axis=1)
    sf.write(tmp_path / "in.wav", stereo, fs)
    row = debian_set.Row("horn/x.wav", "pkg", "/in.wav", (1.9, 2.0), 0.5, None)
    seconds, rate = debian_set.build(row, tmp_path, tmp_path / "out" / row.clip)
    out, out_fs = sf.read(tmp_path / "out" / row.clip)
    assert (seconds, rate, out_fs) == (0.5, fs, fs)
    assert np.allclose(out[: int(0.1 * fs)], 0.25, atol=1e-4) and not out[int(0.1 * fs) :].any()
