"""Chapter 02: grokking in linear estimators (Levi, Beck & Bar-Sinai, ICLR 2024)."""
