"""Samplers, one module per family, batched over chains, walkers or candidates."""
