"""Small torch modules that use every standard layer kmlut.torch knows, shared by the parity test
and the speed measurement (measure_torch_speed.py)."""
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, 4, batch_first=True)
        self.up_proj = nn.Linear(width, 2 * width)
        self.down_proj = nn.Linear(2 * width, width, bias=False)

    def forward(self, x):
        h = self.norm(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.down_proj(torch.relu(self.up_proj(x)))


class Mixed(nn.Module):
    """Embedding -> blocks -> conv1d / conv2d / conv_transpose2d heads -> a tied LM head."""

    def __init__(self, width=64, vocab=96, blocks=2):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, width)
        self.blocks = nn.ModuleList(Block(width) for _ in range(blocks))
        self.conv1d = nn.Conv1d(width, width, 3, padding=1)
        self.conv2d = nn.Conv2d(4, 16, 3, padding=1)
        self.deconv = nn.ConvTranspose2d(16, 32, 2, stride=2)
        self.batch_norm = nn.BatchNorm2d(32)
        self.lm_head = nn.Linear(width, vocab, bias=False)

    def forward(self, tokens):
        x = self.embed_tokens(tokens)
        for block in self.blocks:
            x = block(x)
        x = self.conv1d(x.transpose(1, 2)).transpose(1, 2)
        image = x[:, :, :64].reshape(x.shape[0], 4, -1, 4)
        y = self.batch_norm(self.deconv(self.conv2d(image)))
        return self.lm_head(x).sum() + y.sum()


def example_inputs(vocab=96):
    return (torch.randint(0, vocab, (2, 16), generator=torch.Generator().manual_seed(0)),)
