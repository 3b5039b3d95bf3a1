"""Closed-form predictions, one module per paper."""
