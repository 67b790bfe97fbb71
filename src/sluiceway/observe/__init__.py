"""Watching the platform: metrics, SLAs, alerts, Prometheus exposition, system tables.

Everything here reads the event log and the metadata store; nothing here runs a pipeline.
"""
