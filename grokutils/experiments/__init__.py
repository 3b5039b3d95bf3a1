"""One module per chapter: the measurements its claims are decided on, as tested functions."""
