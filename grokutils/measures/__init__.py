"""Measurements on trajectories and trained networks: crossing times, stability, Hessians."""
