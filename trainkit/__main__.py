"""`python -m trainkit` runs the same program as `trainkit` and `python build.py`."""

from .cli import run

run()
