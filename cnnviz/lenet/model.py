"""LeNet-5 as in the chapter's LeNet section, its variants, layer summary and weight files."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import torch
from torch import nn

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}
POOLINGS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}
KERNEL_SIZES = (3, 5, 7, 9)  # odd, so padding k // 2 keeps the first layer at 28x28
IMAGE_SIZE = 28


@dataclass(frozen=True)
class LeNetConfig:
    """Architecture choices; the defaults are the chapter's classic LeNet-5."""

    activation: str = "sigmoid"  # the 1998 network; ReLU came later
    pooling: str = "avg"  # average pooling, as in the original
    channels1: int = 6  # first convolution's output channels
    channels2: int = 16  # second convolution's output channels
    kernel_size: int = 5  # both convolutions; the first pads k // 2 so 28x28 stays 28x28
    num_classes: int = 10

    def __post_init__(self):
        """Reject choices the network cannot be built with, in words a student understands."""
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"Unknown activation {self.activation!r}: "
                             f"choose one of {', '.join(ACTIVATIONS)}.")
        if self.pooling not in POOLINGS:
            raise ValueError(f"Unknown pooling {self.pooling!r}: choose avg or max.")
        if self.kernel_size not in KERNEL_SIZES:
            raise ValueError(f"Kernel size must be one of {KERNEL_SIZES}, got {self.kernel_size}.")
        for name, value in (("channels1", self.channels1), ("channels2", self.channels2)):
            if not 1 <= value <= 64:
                raise ValueError(f"{name} must be between 1 and 64, got {value}.")

    @property
    def label(self) -> str:
        """Short name for legends: 'classic', 'modern' or the choices spelled out."""
        for name, preset in VARIANTS.items():
            if preset == self:
                return name
        return (f"{self.activation}+{self.pooling}, {self.channels1}/{self.channels2} ch, "
                f"{self.kernel_size}x{self.kernel_size}")


VARIANTS = {
    "classic": LeNetConfig(),
    "modern": LeNetConfig(activation="relu", pooling="max"),
}


def flat_features(config: LeNetConfig) -> int:
    """Length of the flattened convolutional output (400 for the chapter's LeNet)."""
    k = config.kernel_size
    side = IMAGE_SIZE // 2  # first conv keeps 28, pooling halves
    side = (side - k + 1) // 2  # second conv has no padding, pooling halves again
    if side < 1:
        raise ValueError(f"A {k}x{k} kernel leaves nothing after the second pooling.")
    return config.channels2 * side * side


def init_cnn(module: nn.Module) -> None:
    """Xavier-uniform weights for convolutional and dense layers (biases stay at torch's init)."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)


class LeNet(nn.Module):
    """LeNet-5: two convolution blocks, then three dense layers (120, 84, classes)."""

    def __init__(self, config: LeNetConfig = VARIANTS["classic"]):
        super().__init__()
        self.config = config
        act, pool, k = ACTIVATIONS[config.activation], POOLINGS[config.pooling], config.kernel_size
        self.net = nn.Sequential(
            nn.Conv2d(1, config.channels1, kernel_size=k, padding=k // 2), act(),  # (N, 6, 28, 28)
            pool(kernel_size=2, stride=2),  # (N, 6, 14, 14)
            nn.Conv2d(config.channels1, config.channels2, kernel_size=k), act(),  # (N, 16, 10, 10)
            pool(kernel_size=2, stride=2),  # (N, 16, 5, 5)
            nn.Flatten(),  # (N, 400)
            nn.Linear(flat_features(config), 120), act(),
            nn.Linear(120, 84), act(),
            nn.Linear(84, config.num_classes))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """Class scores (logits) for a batch of 1x28x28 images."""
        return self.net(X)


def build_lenet(config: LeNetConfig = VARIANTS["classic"], seed: int | None = 0) -> LeNet:
    """A freshly initialized LeNet; the same seed gives the same weights."""
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = LeNet(config)
            model.apply(init_cnn)
        return model
    model = LeNet(config)
    model.apply(init_cnn)
    return model


@dataclass(frozen=True)
class LayerRow:
    """One line of the layer summary."""

    index: int
    name: str  # torch class name, as the chapter prints it
    shape: tuple[int, ...]
    params: int

    @property
    def shape_text(self) -> str:
        """The shape as '1x6x28x28'."""
        return "x".join(str(s) for s in self.shape)


def layer_summary(model: LeNet, X_shape: tuple[int, ...] = (1, 1, IMAGE_SIZE, IMAGE_SIZE)
                  ) -> list[LayerRow]:
    """Each layer's output shape and parameter count for a random input (chapter: LeNet)."""
    X = torch.randn(*X_shape)
    rows = []
    with torch.no_grad():
        for i, layer in enumerate(model.net):
            X = layer(X)
            params = sum(p.numel() for p in layer.parameters())
            rows.append(LayerRow(i, layer.__class__.__name__, tuple(X.shape), params))
    return rows


def describe_architecture(config: LeNetConfig, rows: list[LayerRow]) -> str:
    """The sizes through the network in words, computed from ``config`` (for the page caption)."""
    k, pad = config.kernel_size, config.kernel_size // 2
    pooled = IMAGE_SIZE // 2
    second = pooled - k + 1
    last = second // 2
    return (f"{sum(r.params for r in rows):,} parameters in total, for a 1x1x28x28 input. The "
            f"first convolution pads {pad} pixel{'s' if pad != 1 else ''} per side (for a "
            f"{k}x{k} kernel, (k - 1) / 2) so 28x28 stays 28x28, and pooling halves it to "
            f"{pooled}x{pooled}. The second convolution does not pad, so {pooled}x{pooled} "
            f"becomes {second}x{second} ({pooled} - {k} + 1), and the second pooling leaves "
            f"{last}x{last}: {config.channels2}x{last}x{last} = {flat_features(config)} values "
            "for the dense layers.")


class WeightsError(ValueError):
    """An uploaded weights file that cannot be loaded into the current network."""


def weights_to_bytes(model: nn.Module) -> bytes:
    """The model's state dict as a file torch.load(..., weights_only=True) can read."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def load_weights(model: nn.Module, data: bytes) -> None:
    """Load a weights file into ``model``, or raise WeightsError saying what does not match."""
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for foreign or damaged files
        raise WeightsError("This file is not a PyTorch weights file (a saved state dict) "
                           f"that can be read safely: {type(exc).__name__}.") from None
    if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise WeightsError("This file holds something other than a state dict "
                           "(a mapping from layer names to weight tensors).")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        raise WeightsError("These weights belong to a different network: missing "
                           f"{missing[:3] or 'nothing'}, unexpected {extra[:3] or 'nothing'}.")
    for name, tensor in expected.items():
        if state[name].shape != tensor.shape:
            got, want = tuple(state[name].shape), tuple(tensor.shape)
            raise WeightsError(
                f"Layer {name} has shape {got} in the file but {want} in the current network: "
                "choose the channel counts and kernel size the weights were trained with.")
    model.load_state_dict(state)


def config_dict(config: LeNetConfig) -> dict:
    """The configuration as a plain dict (for session state and file names)."""
    return asdict(config)
