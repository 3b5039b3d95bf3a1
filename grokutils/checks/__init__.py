"""Each chapter's claim checks, one module per chapter: statements, references and tolerances."""
