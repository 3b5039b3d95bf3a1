"""Chapter 06: thermal exploration of the loss landscape (Jules et al. 2023)."""
