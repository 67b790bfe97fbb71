"""The Spark engine (``engine: spark``): local mode, a cluster master, or Spark Connect.

This package is the only place pyspark is imported; importing it does not import pyspark
until an engine is used.
"""
