"""The two trainable networks (PyTorch; training only — the edge runs their ONNX exports).

- `YamnetHead`: a small head on YAMNet's outputs for one 0.96 s patch. It sees both the
  1024-d embedding and YAMNet's 521 class scores (as logits), so it can lean on what AudioSet
  taught YAMNet about real horns and sirens while learning our three-way decision.
- `CompactCnn`: a ~50 k-weight log-mel CNN for nodes too weak for YAMNet, distilled from the
  head (teacher) and the ground truth.
Both output class probabilities in the order of `dataset.CLASSES` (other, horn, siren).
"""

from __future__ import annotations

import torch
from torch import nn


class YamnetHead(nn.Module):
    def __init__(self, hidden: int = 64, dropout: float = 0.3) -> None:
        super().__init__()
        self.emb = nn.Sequential(nn.Dropout(dropout), nn.Linear(1024, hidden), nn.ReLU())
        self.cls = nn.Sequential(nn.Dropout(dropout), nn.Linear(521, hidden), nn.ReLU())
        self.out = nn.Linear(2 * hidden, 3)

    def logits(self, embeddings: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        s = scores.clamp(1e-4, 1 - 1e-4)
        z = torch.log(s) - torch.log1p(-s)
        return self.out(torch.cat([self.emb(embeddings), self.cls(z)], dim=1))

    def forward(self, embeddings: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(embeddings, scores), dim=1)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)
    )


class CompactCnn(nn.Module):
    """log-mel patch [N, 96, 64] → probabilities [N, 3]."""

    def __init__(self, mean: float = 0.0, std: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))
        self.features = nn.Sequential(_block(1, 16), _block(16, 32), _block(32, 48), _block(48, 64))
        self.dropout = nn.Dropout(0.2)
        self.out = nn.Linear(128, 3)

    def logits(self, log_mel: torch.Tensor) -> torch.Tensor:
        x = ((log_mel - self.mean) / self.std).unsqueeze(1)
        x = self.features(x)
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return self.out(self.dropout(pooled))

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(log_mel), dim=1)
