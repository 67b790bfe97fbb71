"""The ``sluiceway`` command line: thin Typer commands that parse, call a service, render.

Every module here imports only Typer and the standard library at module level; services
and their drivers are imported inside the command functions, so ``sluiceway --help``
answers quickly.
"""
