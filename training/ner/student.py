"""The student: hashed word-feature embeddings and a residual CNN, tagging BIO.

The same family as the teacher's own tok2vec (spaCy's HashEmbed + MaxoutWindowEncoder),
without the transition-based decoder: every word is tagged independently from a
window of `depth * (kernel - 1)` neighbours, which is what makes it cheap in tract.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn


@dataclass
class StudentConfig:
    rows: list[int] = field(default_factory=lambda: [20000, 2000, 5000, 1000])
    dims: list[int] = field(default_factory=lambda: [64, 16, 32, 16])
    width: int = 128
    depth: int = 4
    kernel: int = 3
    dropout: float = 0.1
    labels: int = 37
    # Self-attention layers after the CNN (0: CNN only). They see the whole
    # window, so packs with attention are served with the window they trained on.
    attention: int = 0
    heads: int = 4

    def to_dict(self) -> dict:
        return asdict(self)


class Block(nn.Module):
    def __init__(self, width: int, kernel: int, dropout: float):
        super().__init__()
        self.conv = nn.Conv1d(width, width, kernel, padding=kernel // 2)
        self.norm = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, S, W]
        y = self.conv(x.transpose(1, 2)).transpose(1, 2)
        return x + self.drop(torch.relu(self.norm(y)))


class SelfAttention(nn.Module):
    """A post-norm transformer layer written with plain ops (MatMul, Softmax),
    so the ONNX graph is one tract runs without custom kernels. No position
    embedding: the convolutions below already encode word order locally."""

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm1 = nn.LayerNorm(width)
        self.ff = nn.Sequential(nn.Linear(width, 2 * width), nn.ReLU(), nn.Linear(2 * width, width))
        self.norm2 = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        width = x.shape[-1]
        head = width // self.heads
        q, k, v = self.qkv(x).unflatten(-1, (3, self.heads, head)).permute(2, 0, 3, 1, 4)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (head ** -0.5)
        if mask is not None:
            scores = scores + (1.0 - mask[:, None, None, :]) * -1e4
        attended = torch.matmul(torch.softmax(scores, dim=-1), v)
        attended = attended.transpose(1, 2).flatten(-2)
        x = self.norm1(x + self.drop(self.proj(attended)))
        return self.norm2(x + self.drop(self.ff(x)))


class Student(nn.Module):
    def __init__(self, config: StudentConfig):
        super().__init__()
        self.config = config
        self.embeds = nn.ModuleList(nn.Embedding(r, d) for r, d in zip(config.rows, config.dims))
        self.mix = nn.Linear(sum(config.dims), config.width)
        self.mix_norm = nn.LayerNorm(config.width)
        self.blocks = nn.ModuleList(
            Block(config.width, config.kernel, config.dropout) for _ in range(config.depth)
        )
        self.attention = nn.ModuleList(
            SelfAttention(config.width, config.heads, config.dropout) for _ in range(config.attention)
        )
        self.out = nn.Linear(config.width, config.labels)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, feats: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """feats [B, S, F] int64 -> logits [B, S, labels]. `mask` [B, S] zeroes
        padding after every layer, so padded training batches see what an
        unpadded sequence sees at inference (the convolution's zero padding)."""
        x = torch.cat([e(feats[..., i]) for i, e in enumerate(self.embeds)], dim=-1)
        x = self.drop(torch.relu(self.mix_norm(self.mix(self.drop(x)))))
        m = None if mask is None else mask.unsqueeze(-1).to(x.dtype)
        if m is not None:
            x = x * m
        for block in self.blocks:
            x = block(x)
            if m is not None:
                x = x * m
        for layer in self.attention:
            x = layer(x, mask)
        return self.out(x)
