"""Each chapter's figure panels, one module per chapter."""
