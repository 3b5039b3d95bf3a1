"""Methods that two or more chapters use, or that the book validates on their own, each module named
after the method: optimisers, Langevin dynamics, Wang-Landau, exact densities of states, Hessian
tools, stability estimators, modular-arithmetic data. Imports only from core."""
