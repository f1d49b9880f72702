"""SGD and Adam for stacked weights: many models' optimizers in one (cnnviz.lenet.batched)."""

from __future__ import annotations

import torch

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults


class StackedOptimizer:
    """SGD or Adam on stacked weights (K, ...), one learning rate and step count per model.

    The same arithmetic as torch.optim.SGD / Adam with their default settings, per element;
    the bias corrections are computed in double precision, as torch.optim does in Python.
    """

    def __init__(self, params: dict[str, torch.Tensor], kind: str, lrs: torch.Tensor):
        self.params, self.kind = params, kind
        self.lrs = lrs  # (K,)
        self.t = torch.zeros(len(lrs), dtype=torch.float64, device=lrs.device)  # steps done
        self.moments = {n: (torch.zeros_like(p), torch.zeros_like(p)) for n, p in params.items()}

    @torch.no_grad()
    def step(self) -> None:
        """One update of every model from the gradients in ``.grad``.

        All weight tensors at once (torch._foreach_*): one call per operation instead of one
        per operation and tensor, which in a small network is most of an update's time.
        """
        self.t += 1
        b1, b2 = ADAM_BETAS
        params = list(self.params.values())
        grads = [p.grad for p in params]

        def per_model(values: torch.Tensor) -> list[torch.Tensor]:  # (K,) -> (K, 1, ...) each
            return [values.view(-1, *[1] * (p.dim() - 1)) for p in params]

        if self.kind == "sgd":
            torch._foreach_sub_(params, torch._foreach_mul(grads, per_model(self.lrs)))
            return
        step_size = (self.lrs.double() / (1 - b1 ** self.t)).float()  # (K,)
        root_correction = (1 - b2 ** self.t).sqrt().float()
        ms = [self.moments[name][0] for name in self.params]
        vs = [self.moments[name][1] for name in self.params]
        torch._foreach_lerp_(ms, grads, 1 - b1)
        torch._foreach_mul_(vs, b2)
        torch._foreach_addcmul_(vs, grads, grads, value=1 - b2)
        denom = torch._foreach_sqrt(vs)
        torch._foreach_div_(denom, per_model(root_correction))
        torch._foreach_add_(denom, ADAM_EPS)
        update = torch._foreach_div(ms, denom)
        torch._foreach_mul_(update, per_model(step_size))
        torch._foreach_sub_(params, update)

    def zero_grad(self) -> None:
        """Drop the gradients of the previous step."""
        for p in self.params.values():
            p.grad = None

    def rebuild(self, params: dict[str, torch.Tensor], keep: torch.Tensor,
                lrs: torch.Tensor, joined: int) -> None:
        """Follow a change of members: keep the rows ``keep``, then ``joined`` fresh ones."""
        def grow(x: torch.Tensor) -> torch.Tensor:
            kept = x.index_select(0, keep)
            return torch.cat([kept, x.new_zeros((joined, *x.shape[1:]))])

        self.params, self.lrs, self.t = params, lrs, grow(self.t)
        self.moments = {n: (grow(m), grow(v)) for n, (m, v) in self.moments.items()}
