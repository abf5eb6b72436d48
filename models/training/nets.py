"""The trainable networks (PyTorch; training only — the edge runs their ONNX exports).

- `YamnetScoreHead` (shipped): a constrained head on YAMNet's 521 class scores for one 0.96 s
  patch, with a small bounded correction from the 1024-d embedding. Only YAMNet's horn classes
  can raise p(horn) and only its siren classes can raise p(siren); any class can lower either.
  Why: a free head on the embedding learnt the simulator's quirks (YAMNet hears our synthetic
  air horns as geese and our e-bike buzzers as beeps) and called real sheep and level-crossing
  bells horns. The constraint keeps what AudioSet taught YAMNet about real horns and sirens.
- `YamnetHead`: the earlier unconstrained MLP head (embedding + scores), kept for comparison.
- `CompactCnn`: a ~50 k-weight log-mel CNN for nodes too weak for YAMNet, distilled from the
  head (teacher) and the ground truth.
Both output class probabilities in the order of `dataset.CLASSES` (other, horn, siren).
"""

from __future__ import annotations

import torch
from torch import nn

HORN_EVIDENCE = (302, 303, 312)  # "Vehicle horn, car horn, honking", "Toot", "Air horn, truck horn"
# emergency vehicle, police car / ambulance / fire engine (siren), siren, civil defence siren
SIREN_EVIDENCE = (316, 317, 318, 319, 390, 391)


def _logit(scores: torch.Tensor) -> torch.Tensor:
    s = scores.clamp(1e-4, 1 - 1e-4)
    return torch.log(s) - torch.log1p(-s)


class YamnetScoreHead(nn.Module):
    """(embeddings [N, 1024], scores [N, 521]) → logits of (other, horn, siren).

    horn  = Σ_{c ∈ HORN_EVIDENCE} a_c·logit(s_c) − Σ_c n_c·s_c + b + k·tanh(g(emb)),  a, n ≥ 0;
    siren = the same with SIREN_EVIDENCE; other = 0. The correction g is bounded to ±`bound`
    logits: it may refine, but never create a horn YAMNet does not hear at all."""

    def __init__(self, bound: float = 2.0, hidden: int = 32, dropout: float = 0.5) -> None:
        super().__init__()
        self.register_buffer("horn_idx", torch.tensor(HORN_EVIDENCE))
        self.register_buffer("siren_idx", torch.tensor(SIREN_EVIDENCE))
        self.horn_pos = nn.Parameter(torch.full((len(HORN_EVIDENCE),), 0.5413))  # softplus → 1
        self.siren_pos = nn.Parameter(torch.full((len(SIREN_EVIDENCE),), 0.5413))
        self.neg = nn.Parameter(torch.full((2, 521), -3.0))  # softplus → ~0.05
        mask = torch.ones(2, 521)
        mask[0, list(HORN_EVIDENCE)] = 0.0  # a class is never evidence against itself
        mask[1, list(SIREN_EVIDENCE)] = 0.0
        self.register_buffer("neg_mask", mask)
        self.bias = nn.Parameter(torch.tensor([3.0, 3.0]))
        self.bound = bound
        self.corr = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(1024, hidden), nn.ReLU(), nn.Linear(hidden, 2)
        )

    def logits(self, embeddings: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        z = _logit(scores)
        sp = nn.functional.softplus
        horn = (sp(self.horn_pos) * z[:, self.horn_idx]).sum(1)
        siren = (sp(self.siren_pos) * z[:, self.siren_idx]).sum(1)
        neg = scores @ (sp(self.neg) * self.neg_mask).T  # [N, 2]
        corr = self.bound * torch.tanh(self.corr(embeddings)) if self.bound > 0 else 0.0 * neg
        hs = torch.stack([horn, siren], 1) - neg + self.bias + corr
        return torch.cat([torch.zeros_like(hs[:, :1]), hs], 1)

    def forward(self, embeddings: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(embeddings, scores), dim=1)


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
