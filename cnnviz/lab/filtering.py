"""Full-resolution filtering for the kernel lab: OpenCV on the CPU, torch on a GPU.

The result always has the input's size: the border is padded by (k-1)//2 before and k-1-(k-1)//2
after along each axis (the extra cell goes after for even kernels), with the chosen mode, then
the kernel slides over the valid positions. This equals ``F.conv2d(F.pad(x, ..., mode), K)``
(see tests/test_filtering.py).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.lab.buffers import OUTPUTS
from cnnviz.lab.kernels import as_kernel, separable_factors

BORDER_MODES = ("zeros", "reflect", "replicate", "circular")
# torch's reflect == OpenCV's REFLECT_101 (the edge cell is not repeated).
_CV_BORDER = {"zeros": cv2.BORDER_CONSTANT, "reflect": cv2.BORDER_REFLECT_101,
              "replicate": cv2.BORDER_REPLICATE, "circular": cv2.BORDER_WRAP}
_TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
               "circular": "circular"}
# Below this kernel size OpenCV's direct 2-D loop beats two 1-D passes (bench: kernels suite).
SEPARABLE_FROM = 5


def border_widths(kernel_shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """Padding (top, bottom, left, right) that keeps the output the input's size."""
    kh, kw = kernel_shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    return top, kh - 1 - top, left, kw - 1 - left


def _check(image: np.ndarray, K: np.ndarray, mode: str) -> None:
    """Reject unknown modes and images smaller than the kernel, with a readable message."""
    if mode not in BORDER_MODES:
        raise ValueError(f"Unknown border mode {mode!r}: choose one of {', '.join(BORDER_MODES)}.")
    if image.ndim != 2:
        raise ValueError(f"Filtering needs a 2-D image, got shape {image.shape}.")
    (h, w), (kh, kw) = image.shape, K.shape
    if h < kh or w < kw:
        raise ValueError(f"The image ({h}x{w} pixels) is smaller than the kernel ({kh}x{kw}): "
                         "use a smaller kernel or a larger image.")


def apply_kernel(image, kernel, *, mode: str = "zeros", convolution: bool = False,
                 device: torch.device | str | None = None) -> np.ndarray:
    """Cross-correlate (or truly convolve) a 2-D image with a kernel; same-size float32 result.

    ``device``: None or 'cpu' uses OpenCV; a CUDA or MPS device uses torch on that device.
    """
    image = np.asarray(image, dtype=np.float32)
    K = as_kernel(kernel)
    if convolution:
        K = np.ascontiguousarray(K[::-1, ::-1])
    _check(image, K, mode)
    if device is not None and torch.device(device).type != "cpu":
        return _apply_torch(image, K, mode, torch.device(device))
    return _apply_cv2(image, K, mode)


def _apply_cv2(image: np.ndarray, K: np.ndarray, mode: str) -> np.ndarray:
    """OpenCV: two 1-D passes for rank-1 kernels from 5x5 up, else the direct 2-D filter."""
    top, bottom, left, right = border_widths(K.shape)
    border = _CV_BORDER[mode]
    src = image
    if mode == "circular":  # OpenCV filters cannot wrap; pad first, keep the valid window
        src = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_WRAP)
        border = cv2.BORDER_CONSTANT
    anchor = (left, top)  # (x, y) of the kernel cell that lands on the output pixel
    factors = separable_factors(K) if max(K.shape) >= SEPARABLE_FROM else None
    dst = OUTPUTS.empty(src.shape) if mode != "circular" else None
    if factors is not None:
        column, row = factors
        out = cv2.sepFilter2D(src, cv2.CV_32F, row, column, dst=dst, anchor=anchor,
                              borderType=border)
    else:
        out = cv2.filter2D(src, cv2.CV_32F, K, dst=dst, anchor=anchor, borderType=border)
    if mode == "circular":
        out = np.ascontiguousarray(out[top: top + image.shape[0], left: left + image.shape[1]])
    return out


def _apply_torch(image: np.ndarray, K: np.ndarray, mode: str, device: torch.device) -> np.ndarray:
    """Torch on a GPU: pad with the mode, then F.conv2d."""
    return torch_filter(torch.from_numpy(image).to(device), torch.from_numpy(K).to(device),
                        mode).cpu().numpy()


def torch_filter(x: torch.Tensor, K: torch.Tensor, mode: str = "zeros") -> torch.Tensor:
    """Reference and GPU path: F.pad with the mode, then F.conv2d; (H, W) in, (H, W) out."""
    top, bottom, left, right = border_widths(tuple(K.shape))
    padded = F.pad(x[None, None], (left, right, top, bottom), mode=_TORCH_MODE[mode])
    cudnn = torch.backends.cudnn
    # cuDNN may pick TF32 (10-bit mantissa) for float32 convolutions on recent NVIDIA GPUs, which
    # puts 1e-3 relative errors into a micrograph's filtered values: keep full float32 there.
    with cudnn.flags(enabled=cudnn.enabled, benchmark=cudnn.benchmark,
                     deterministic=cudnn.deterministic, allow_tf32=False):
        return F.conv2d(padded, K[None, None].to(x.dtype))[0, 0]  # (1, 1, H, W) -> (H, W)
