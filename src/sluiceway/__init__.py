"""Sluiceway: data as a platform."""
