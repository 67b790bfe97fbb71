"""The metadata store: what Sluiceway knows about tables, runs, files, checks and events.

One SQL database (SQLite by default, PostgreSQL by URL) holds every aggregate; each has its
own repository module (``catalog``, ``runs``, ``events``, ``ledger``, ``checks``,
``metrics``) reached through :class:`sluiceway.meta.store.MetaStore`. Repositories return
frozen dataclasses, never ORM objects, so no caller holds a session by accident.
"""
