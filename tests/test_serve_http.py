"""`trainkit serve` as a real server in a subprocess: what the acceptance run probes over HTTP.

Its address, the refusals, the event stream after a file edit, the zip download, a public
bind only with --host (and a warning), and Ctrl-C during a build leaving no half pack.
"""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES
from support import Server, start

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


def test_refusals_over_http(server: Server) -> None:
    assert server.request("GET", "/api/lessons")[0] == 200
    assert server.request("GET", "/api/lessons", {"Host": "evil.example"})[0] == 421
    assert server.request("GET", "/api/lessons", {"Host": f"rebound.example:{server.port}"})[0] == 421
    body = json.dumps({"profile": "whrd"}).encode()
    headers = {"Content-Type": "application/json"}
    assert server.request("PUT", "/api/workshops/autumn", headers, body)[0] == 403  # no token
    token = server.token()
    assert (
        server.request("PUT", "/api/workshops/autumn", {**headers, "X-Trainkit-Token": token, "Origin": "http://evil.example"}, body)[0]
        == 403
    )
    for path in ("/api/workshops/..%2fx", "/api/workshops/../../etc/passwd", "/lessons/a%2fb", "/packs/..%2f/en.zip"):
        assert server.request("GET", path)[0] == 400, path
    status, _, _ = server.request("PUT", "/api/workshops/autumn", {**headers, "X-Trainkit-Token": token}, body)
    assert status == 200
    assert (server.folder / "workshops" / "autumn.yml").is_file()
    status, response_headers, _ = server.request("GET", "/lessons")
    assert "default-src 'none'" in response_headers["Content-Security-Policy"]


def test_the_event_stream_says_reload_after_a_file_edit(server: Server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    connection.putrequest("GET", "/events", skip_host=True)
    connection.putheader("Host", f"127.0.0.1:{server.port}")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    assert b"connected" in response.fp.readline() + response.fp.readline() + response.fp.readline()
    time.sleep(0.5)  # the watcher is running
    lesson = server.folder / "curriculum" / "lessons" / "alpha" / "en.md"
    edited = time.monotonic()
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("Alpha basics", "Alpha basics, edited"), encoding="utf-8")
    event = b""
    while b"event: reload" not in event:
        event = response.fp.readline()
    data = json.loads(response.fp.readline().decode().removeprefix("data: "))
    took = time.monotonic() - edited
    connection.close()
    assert data["errors"] == 0 and data["generation"] >= 2
    assert took < 5, took
    _, _, page = server.request("GET", "/preview/profile/journalist/en/handout.html")
    assert b"Alpha basics, edited" in page


def test_the_zip_download_verifies(server: Server, tmp_path: Path) -> None:
    status, headers, data = server.request("GET", "/packs/workshop/spring/en.zip")
    assert status == 200, data[:300]
    assert headers["Content-Disposition"] == 'attachment; filename="spring-en.zip"'
    path = tmp_path / "spring-en.zip"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as archive:
        assert "spring-en/SHA256SUMS" in archive.namelist()
    checked = subprocess.run([sys.executable, "-m", "trainkit", "verify", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_ctrl_c_during_a_build_stops_cleanly_and_keeps_no_half_pack(server: Server) -> None:
    token = server.token()
    body = json.dumps({"profile": "journalist", "lang": "en"}).encode()
    status, _, answer = server.request("POST", "/api/builds", {"Content-Type": "application/json", "X-Trainkit-Token": token}, body)
    assert status == 202, answer
    time.sleep(0.5)  # the build is under way (the workers are still starting, or rendering)
    server.process.send_signal(signal.SIGINT)
    code = server.process.wait(timeout=30)
    stderr = server.process.stderr.read() if server.process.stderr else ""
    assert code == 0, stderr
    out = server.folder / "output"
    leftovers = [p for p in out.rglob("*") if ".staging-" in p.name or p.name.endswith(".part")] if out.exists() else []
    assert leftovers == [], stderr
    pack = out / "journalist" / "en"
    if pack.exists():  # published whole before the signal arrived, or not at all
        manifest = json.loads((pack / "manifest.json").read_text())
        assert sorted(p.name for p in pack.iterdir()) == sorted([e["name"] for e in manifest["files"]] + ["manifest.json"])
    assert "Traceback" not in stderr, stderr
    assert "Stopping" in stderr, stderr


def test_it_listens_on_this_machine_only_unless_host_says_otherwise(server: Server, tmp_path: Path) -> None:
    public = _public_address()
    if public is not None:  # tried from another process: this test may only reach 127.0.0.1
        probe = f"import socket; socket.create_connection(({public!r}, {server.port}), timeout=2)"
        assert subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30).returncode != 0
        probe = f"import socket; socket.create_connection(('127.0.0.1', {server.port}), timeout=2)"
        assert subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30).returncode == 0
    shutil.copytree(FIXTURES / "mini", tmp_path / "other" / "curriculum")
    wide = start(tmp_path / "other", "--host", "0.0.0.0")
    try:
        assert wide.process.stderr is not None
        warning = wide.process.stderr.readline()
        assert "warning: listening on 0.0.0.0" in warning
        # even then, a request must name this machine: another name (DNS rebinding) is refused
        assert wide.request("GET", "/api/lessons")[0] == 200
        assert wide.request("GET", "/api/lessons", {"Host": f"rebound.example:{wide.port}"})[0] == 421
    finally:
        wide.process.send_signal(signal.SIGINT)
        wide.process.wait(timeout=20)


def _public_address() -> str | None:
    """This machine's address on its network, if it has one (not loopback)."""
    try:
        addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return next((a for a in addresses if "." in a and not a.startswith("127.")), None)


def test_a_port_in_use_is_a_usage_error_with_a_hint(server: Server) -> None:
    taken = subprocess.run(
        [
            sys.executable,
            "-m",
            "trainkit",
            "--curriculum",
            str(server.folder / "curriculum"),
            "serve",
            "--port",
            str(server.port),
            "--no-browser",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert taken.returncode == 2
    assert f"cannot listen on 127.0.0.1:{server.port}" in taken.stderr and "--port 0" in taken.stderr
    assert "Traceback" not in taken.stderr
