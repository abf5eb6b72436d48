"""onnxruntime sessions with bounded threads, so the classifier never takes the whole node.

The analysis loop shares the CPU with capture, localisation and evidence building; an
onnxruntime session by default spawns one thread per core and spins them. One intra-op thread
(and no spinning) keeps each inference's cost predictable and measured.
"""

from __future__ import annotations

from pathlib import Path

from edge.errors import UserFacingError


def open_session(path: Path, threads: int = 1):  # -> onnxruntime.InferenceSession
    """An onnxruntime CPU session for `path` using at most `threads` threads."""
    import onnxruntime as ort

    if not Path(path).is_file():
        raise UserFacingError(f"model file {path} not found (models ship in the repository's models/)")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, int(threads))
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
