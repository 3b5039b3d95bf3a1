"""One package per chapter, named after the chapter's notebook: that paper's data, model, dynamics
and theory, its experiments, claims and figures. Imports from core and methods, never from
another chapter."""
