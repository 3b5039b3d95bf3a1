"""Models shared by the chapters; leading tensor dimensions index independent runs."""
