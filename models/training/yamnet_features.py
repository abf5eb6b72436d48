"""YAMNet's view of a window (embedding and class scores), computed with the shipped ONNX file.

Training reads YAMNet through `edge.classifier.yamnet.Yamnet`, the same wrapper the edge runs,
so the head is trained on exactly the inputs it gets in the field.
"""

from __future__ import annotations

import numpy as np

from edge.classifier.yamnet import Yamnet


def embed(waves: np.ndarray, yamnet: Yamnet | None = None) -> tuple[np.ndarray, np.ndarray]:
    """[n, 15600] windows → (embeddings [n, 1024], scores [n, 521]), one patch per window."""
    yamnet = yamnet or Yamnet()
    emb = np.empty((len(waves), 1024), np.float32)
    scores = np.empty((len(waves), 521), np.float32)
    for i, w in enumerate(waves):
        s, e = yamnet.run(w)
        emb[i], scores[i] = e[0], s[0]
    return emb, scores
