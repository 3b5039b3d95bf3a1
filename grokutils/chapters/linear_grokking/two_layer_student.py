"""Two-layer teacher-student networks of Levi, Beck & Bar-Sinai (Sec. 4, Fig. 5), batched over runs.

Teacher ``f_T(x) = T₁ᵀ σ(g T₀ᵀx)/g`` and student ``f_S`` alike, ``σ`` = identity or ``tanh``,
loss = MSE over samples and outputs (eq. 17). The gain ``g`` probes non-linearity (reviewer 2's
test): dividing by ``g`` keeps the linearised network, hence eq. 19's theory, independent of
``g`` while the pre-activations grow as ``g²/(2 d_h)``. (Equivalently, the spec's ``tanh(g·)``
with ``η/g²`` and ``ε g²``.) The data and initial weights come from
:func:`.task.two_layer_problem`; the GD loop is
:func:`.two_layer_gd.train_two_layer`.

Every tensor has a leading ``[runs]`` dimension; each run has its own gain ``[runs]``.
"""

from __future__ import annotations

import torch

ACTIVATIONS = ("linear", "tanh")


def forward(x, w_in, w_out, activation: str, gain: torch.Tensor) -> torch.Tensor:
    """Outputs ``[runs, samples, d_out]`` of ``x [runs, samples, d_in]``; ``gain [runs]``."""
    pre = x @ w_in
    if activation == "tanh":
        g = gain[:, None, None]
        return torch.tanh(g * pre) / g @ w_out
    return pre @ w_out


def tanh_gradients(x, y, w_in, w_out, gain: torch.Tensor):
    """``(∂L/∂W_in, ∂L/∂W_out)`` of the MSE (eq. 17) of the tanh network on ``(x, y)``,
    by backpropagation through ``tanh(g·)/g`` (whose derivative is ``1 - tanh²``)."""
    n_train, d_out = x.shape[1], w_out.shape[2]
    g = gain[:, None, None]
    hidden = torch.tanh(g * (x @ w_in))
    grad_y = 2 / (n_train * d_out) * (hidden / g @ w_out - y)
    grad_out = (hidden / g).transpose(1, 2) @ grad_y
    grad_pre = (grad_y @ w_out.transpose(1, 2)) * (1 - hidden**2)
    return x.transpose(1, 2) @ grad_pre, grad_out


def linear_gradients(sigma, teacher_map, w_in, w_out):
    """``(∂L/∂W_in, ∂L/∂W_out)`` of the linear network through its end-to-end map
    ``D = W_in W_out - T₀T₁`` (eq. 38): the MSE is ``Tr(DᵀΣ_tr D)/d_out``, so a step costs
    ``O(d_in² d_out)``, not ``O(N d_in d_h)``. ``sigma [runs, d_in, d_in]`` is ``Σ_tr``."""
    d_out = w_out.shape[2]
    grad_map = 2 / d_out * sigma @ (w_in @ w_out - teacher_map)
    return grad_map @ w_out.transpose(1, 2), w_in.transpose(1, 2) @ grad_map
