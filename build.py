#!/usr/bin/env python3
"""`python build.py …` is the same program as the installed `trainkit …` command."""

import signal
import sys


def _interrupted_early(signum, frame):
    # Ctrl-C while Python is still importing: leave quietly, as the CLI would.
    sys.stderr.write("Interrupted; nothing half-written was kept.\n")
    raise SystemExit(130)


signal.signal(signal.SIGINT, _interrupted_early)

from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainkit.cli import run  # noqa: E402

if __name__ == "__main__":
    run()
