"""How a render worker starts: WeasyPrint imported with its C libraries found from one listing."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys
from pathlib import Path

import pytest

from trainkit.pdf import pool

ROOT = Path(__file__).resolve().parent.parent
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux") or not Path("/sbin/ldconfig").exists(), reason="ldconfig is Linux's")

# Runs in a fresh interpreter (WeasyPrint not yet imported): counts the programs started while a
# worker imports WeasyPrint, then lays out a page to show the libraries it found work.
IMPORT_AND_RENDER = """
import subprocess, sys
sys.path.insert(0, {root!r})
started = []
original = subprocess.Popen.__init__
def counting(self, args, *rest, **kwargs):
    started.append(args)
    original(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = counting
from trainkit.pdf import pool
{setup}
pool.import_weasyprint()
subprocess.Popen.__init__ = original
from weasyprint import HTML
pdf = HTML(string="<p>Page one</p>").write_pdf()
print(len(started), pdf[:5].decode())
"""


def import_in_fresh_interpreter(setup: str = "") -> tuple[int, str]:
    code = IMPORT_AND_RENDER.format(root=str(ROOT), setup=setup)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    programs, header = result.stdout.split()
    return int(programs), header


@linux_only
def test_a_worker_imports_weasyprint_running_ldconfig_once():
    # ctypes alone runs ldconfig (and ld, when it finds nothing) for each of the 22 names WeasyPrint tries.
    programs, header = import_in_fresh_interpreter()
    assert programs == 1
    assert header == "%PDF-"


@linux_only
def test_a_library_the_listing_lacks_is_found_by_the_loader():
    # An empty listing answers "not found" for every name: WeasyPrint then loads each library by its
    # file name (libpango-1.0.so.0 …), which the dynamic loader resolves, and still works.
    programs, header = import_in_fresh_interpreter("pool._ldconfig_listing = lambda: b''")
    assert programs == 0
    assert header == "%PDF-"


@linux_only
@pytest.mark.parametrize(
    "name",
    ["gobject-2.0", "pango-1.0", "pangoft2-1.0", "harfbuzz", "harfbuzz-subset", "fontconfig", "gobject-2.0-0", "harfbuzz-vector", "c"],
)
def test_the_listing_answers_as_ctypes_does(name):
    listing = pool._ldconfig_listing()
    assert listing is not None
    assert pool._listed(listing, name) == ctypes.util.find_library(name)


def test_the_lookup_is_put_back_after_the_import():
    pool.import_weasyprint()
    assert ctypes.util.find_library.__module__ == "ctypes.util"


def test_two_threads_stopping_the_workers_at_once_stop_them_once():
    """serve's Ctrl-C cancels the pool from one thread while the build's thread, stopping on
    it, terminates it too: the second waits for the first and finds nothing left to stop
    (they used to race: "NoneType has no attribute shutdown", "Bad file descriptor")."""
    import threading

    workers = pool.RenderPool(1)
    workers.start()
    executor = workers._executor
    assert executor is not None
    shutdowns, errors = [], []
    inside, release = threading.Event(), threading.Event()
    shutdown = executor.shutdown

    def slow_shutdown(*args, **kwargs):  # type: ignore[no-untyped-def]
        shutdowns.append(threading.current_thread().name)
        inside.set()
        release.wait(10)
        shutdown(*args, **kwargs)

    executor.shutdown = slow_shutdown  # type: ignore[method-assign]

    def stop() -> None:
        try:
            workers.terminate()
        except Exception as exc:  # noqa: BLE001 - what the race raised
            errors.append(exc)

    first = threading.Thread(target=stop, name="first")
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=stop, name="second")
    second.start()
    second.join(0.3)  # it is waiting for the first
    release.set()
    first.join(10)
    second.join(10)
    assert errors == []
    assert shutdowns == ["first"]
    with pytest.raises(pool.Cancelled):
        workers.cancel()
        workers.submit(pool.PartJob(key="k", lessons_root=".", part_key="k", html="", css="", lesson=""))
