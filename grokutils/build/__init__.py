"""What builds the book and never runs inside a chapter's kernel: the seed runner, the archive of
runs, the scorecard and the parameters-cell generator."""
