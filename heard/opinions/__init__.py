"""Opinions: statements people vote on, hui tallies, and the opinion map (Pol.is-compatible)."""
