"""The ``_system`` tables, one concern per module.

``tables`` describes them (schemas and documentation), ``sources`` reads the metadata
store, ``target`` reads and commits one table in the lake, ``facts``, ``states`` and
``sla`` export the three kinds of table, ``exporter`` is the daemon's component. The
entry points are in :mod:`sluiceway.observe.system_tables`.
"""
