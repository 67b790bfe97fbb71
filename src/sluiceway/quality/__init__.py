"""Data quality: checks compiled into one scan, results, and the write-audit-publish gate."""
