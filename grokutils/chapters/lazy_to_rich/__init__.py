"""Chapter 01: grokking as the transition from lazy to rich training (Kumar et al., ICLR 2024)."""
