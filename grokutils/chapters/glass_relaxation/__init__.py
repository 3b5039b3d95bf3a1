"""Chapter 04: grokking as glassy relaxation (Zhang, Shang, Yang & Zhang, NeurIPS 2025)."""
