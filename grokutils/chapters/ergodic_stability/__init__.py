"""Chapter 05: learning that does not converge, statistical algorithmic stability."""
