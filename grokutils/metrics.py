"""Measurements on trajectories: grokking times, thresholded accuracies, alignments."""
