"""The lakehouse: Delta Lake tables in layers, on a local folder or an S3 bucket.

The lake owns the Delta log: engines (or the lake itself, for Arrow input) write data files,
and every change to a table is one Delta transaction tagged with an app transaction, so a
batch re-run after a crash finds itself committed and does nothing.
"""
