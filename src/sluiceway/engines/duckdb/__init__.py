"""The DuckDB engine: the default, in-process, spilling to disk past its memory limit."""
