"""The LeNet page's configuration, declared once: tab, architecture, data set, training."""

from __future__ import annotations

from cnnviz.lenet.model import ACTIVATIONS, KERNEL_SIZES, POOLINGS, VARIANTS, LeNetConfig
from cnnviz.lenet.train import TRAINING_DEFAULTS, TrainConfig, default_training
from cnnviz.pageconfig import Field, PageSpec

TABS = ("Architecture", "Training", "Inside the network")
DATASETS = ("fashion", "mnist", "shapes")
LEARNING_RATES = (0.0003, 0.001, 0.002, 0.003, 0.005, 0.01, 0.03, 0.1, 0.3, 0.9)
# Optimizer steps; the defaults take a few seconds, each longer run is one notch away.
STEP_CHOICES = (100, 200, 300, 400, 600, 800, 1200, 1600, 2400, 3200, 4800, 6400, 9600)
CLASSIC = TRAINING_DEFAULTS["classic"]  # the page opens on the classic variant
FIRST_RATE = {"sgd": 0.1, "adam": 0.001}  # where each optimizer starts when chosen
DEVICES = ("auto", "cuda", "mps", "cpu")  # the page offers those this machine has

FIELDS = {
    "tab": Field("choice", TABS[0], choices=TABS),
    "variant": Field("choice", "classic", choices=(*VARIANTS, "custom")),
    "act": Field("choice", "relu", choices=tuple(ACTIVATIONS)),
    "pool": Field("choice", "max", choices=tuple(POOLINGS)),
    "c1": Field("int", 6, low=1, high=64),
    "c2": Field("int", 16, low=1, high=64),
    "k": Field("choice", 5, choices=KERNEL_SIZES),
    "dataset": Field("choice", "fashion", choices=DATASETS),
    "optimizer": Field("choice", CLASSIC.optimizer, choices=("sgd", "adam")),
    "lr": Field("choice", CLASSIC.lr, choices=LEARNING_RATES),
    "batch": Field("choice", CLASSIC.batch_size, choices=(16, 32, 64, 128, 256, 512)),
    "steps": Field("choice", CLASSIC.steps, choices=STEP_CHOICES),
    "seed": Field("int", 0, low=0, high=10_000),
    "device": Field("choice", "auto", choices=DEVICES),
    "source": Field("choice", "test image", choices=("test image", "draw", "upload")),
    "test_index": Field("int", 0, low=0, high=1_000_000),
    "polarity": Field("choice", "auto", choices=("auto", "keep", "invert")),
}
PAGE = PageSpec("lenet", FIELDS)


def architecture(config: dict) -> LeNetConfig:
    """The network a configuration describes: a named variant or the custom choices."""
    if config["variant"] in VARIANTS:
        return VARIANTS[config["variant"]]
    return LeNetConfig(activation=config["act"], pooling=config["pool"], channels1=config["c1"],
                       channels2=config["c2"], kernel_size=config["k"])


def training(config: dict, device: str) -> TrainConfig:
    """The training settings of a configuration, on ``device`` (one this machine has)."""
    return TrainConfig(optimizer=config["optimizer"], lr=config["lr"],
                       batch_size=config["batch"], steps=config["steps"],
                       seed=config["seed"], device=device)


def variant_training(config: dict) -> dict:
    """After choosing a variant (or a custom activation): the hyperparameters that learn for it."""
    defaults = default_training(architecture(config))
    return {"optimizer": defaults.optimizer, "lr": defaults.lr, "batch": defaults.batch_size,
            "steps": defaults.steps}


def first_rate(config: dict) -> dict:
    """After choosing an optimizer: the architecture's default rate, else the usual one."""
    defaults = default_training(architecture(config))
    same = config["optimizer"] == defaults.optimizer
    return {"lr": defaults.lr if same else FIRST_RATE[config["optimizer"]]}
