"""A small CRNN text recognizer for the parity suite: conv backbone + 2-layer BiLSTM + CTC head.

Input [N, 1, 32, 128] (grayscale text line), output [N, 32, 37] log-probabilities over
blank + 0-9 + a-z per time step, the layout CTC greedy decoding reads. Built by `crnn()` with
seeded random weights, BatchNorm statistics included (default ones are an identity).
"""
import torch
from torch import nn


def conv_block(cin, cout, pool):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.MaxPool2d(pool, pool))


class CRNN(nn.Module):
    task = "text"
    input_shape = (1, 32, 128)
    labels = ["<blank>"] + list("0123456789abcdefghijklmnopqrstuvwxyz")
    mean = [0.5]
    std = [0.5]

    def __init__(self, num_classes=37):
        super().__init__()
        self.backbone = nn.Sequential(conv_block(1, 32, (2, 2)), conv_block(32, 64, (2, 2)),
                                      conv_block(64, 128, (2, 1)), conv_block(128, 128, (4, 1)))
        self.rnn = nn.LSTM(128, 64, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(128, num_classes)

    def forward(self, x):
        f = self.backbone(x)                # [N, 128, 1, 32]
        f = f.squeeze(2).permute(0, 2, 1)   # [N, 32, 128]: one feature vector per column
        f, _ = self.rnn(f)                  # [N, 32, 128]
        return torch.log_softmax(self.head(f), dim=2)


def crnn(num_classes=37):
    torch.manual_seed(0)
    model = CRNN(num_classes)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(1.0 + 0.1 * torch.randn(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(1.0 + 0.2 * torch.rand(n, generator=g))
    return model.eval()
