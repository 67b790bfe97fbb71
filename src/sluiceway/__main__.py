"""``python -m sluiceway``: the command line, for when the ``sluiceway`` script is not on PATH."""

from sluiceway.cli.main import run

if __name__ == "__main__":
    run()
