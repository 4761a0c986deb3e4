"""heard: make public policy with the people it affects, and keep faith with what they said."""

__version__ = "0.1.0"
