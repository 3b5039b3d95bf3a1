"""Synthetic data sets (and scikit-learn's digits, which ship inside the package).

Every generator takes a ``seed`` or a ``np.random.Generator``/``torch.Generator`` and never
touches global random state.
"""
