"""Chapter 03: guess & check against gradient descent (Alexander et al., NeurIPS 2025)."""
