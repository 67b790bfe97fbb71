"""Running pipelines: the order of steps, each step's execution, runs and their events."""
