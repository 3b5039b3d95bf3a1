"""The book machinery: parameters, seeding, sweeps, estimates, claims, provenance,
the seed runner and the scorecard."""
