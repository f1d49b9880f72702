"""Every page's configuration spec by its prefix, for code that sets a page from outside."""

from __future__ import annotations

from cnnviz.lab.page import PAGE as KERNEL_LAB
from cnnviz.lenet.page import PAGE as LENET
from cnnviz.teach.channels import PAGE as CHANNELS
from cnnviz.teach.presets import CORRELATION_PAGE, PADDING_PAGE, POOLING_PAGE
from cnnviz.teach.translation import PAGE as WHY

SPECS = {spec.prefix: spec for spec in (WHY, CORRELATION_PAGE, PADDING_PAGE, CHANNELS,
                                        POOLING_PAGE, KERNEL_LAB, LENET)}
