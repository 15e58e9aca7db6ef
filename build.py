#!/usr/bin/env python3
"""`python build.py …` is the same program as the installed `trainkit …` command."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainkit.cli import run  # noqa: E402

if __name__ == "__main__":
    run()
