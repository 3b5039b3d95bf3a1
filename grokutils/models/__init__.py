"""Models and their batched forward passes and gradients."""
