"""What each chapter's experiments cost: one module per chapter whose ``probes(p)`` lists them
as :class:`grokutils.book.dry_run.Probe` (sizes, steps, a function that runs a few steps at
the preset's sizes), for ``-p dry_run true``."""
