"""Migration scripts, numbered ``0001``, ``0002``… and applied in order, forward only."""
