"""`build --zip` and `trainkit verify`: one zip per pack for a USB stick, checked file by file."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES
from support import EPOCH, build, run, write_tree

from trainkit.packzip import COMMENT, SUMS, verify


@pytest.fixture(scope="module")
def zipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The mini curriculum's journalist pack in English, built with --zip."""
    out = tmp_path_factory.mktemp("zip") / "out"
    result = build(FIXTURES / "mini", out, "--profile", "journalist", "--lang", "en", "--zip")
    assert result.exit_code == 0, result.output
    return out, out / "journalist" / "en.zip"


def test_zip_holds_the_pack_folder_and_sums_in_sha256sum_format(zipped: tuple[Path, Path], tmp_path: Path) -> None:
    out, archive = zipped
    pack = out / "journalist" / "en"
    with zipfile.ZipFile(archive) as z:
        names = sorted(z.namelist())
        assert z.comment == COMMENT
        assert all(name.startswith("journalist-en/") for name in names)
        inside = {name.split("/", 1)[1]: z.read(name) for name in names}
    on_disk = {p.name: p.read_bytes() for p in pack.iterdir()}
    assert set(inside) == set(on_disk) | {SUMS}
    assert all(inside[name] == data for name, data in on_disk.items())
    # GNU sha256sum agrees with the file we wrote, in the unpacked folder
    zipfile.ZipFile(archive).extractall(tmp_path)
    checked = subprocess.run(["sha256sum", "-c", SUMS], cwd=tmp_path / "journalist-en", capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == len(on_disk)


def test_zip_is_deterministic_and_rebuilding_keeps_the_same_bytes(zipped: tuple[Path, Path]) -> None:
    out, archive = zipped
    first = archive.read_bytes()
    result = build(FIXTURES / "mini", out, "--profile", "journalist", "--lang", "en", "--zip")
    assert result.exit_code == 0, result.output
    assert archive.read_bytes() == first
    with zipfile.ZipFile(archive) as z:
        assert {info.date_time for info in z.infolist()} == {(2026, 1, 1, 0, 0, 0)}  # the build date of SOURCE_DATE_EPOCH


def test_verify_accepts_the_zip_the_folder_and_the_unpacked_zip(zipped: tuple[Path, Path], tmp_path: Path) -> None:
    out, archive = zipped
    for path in (archive, out / "journalist" / "en"):
        result = run("verify", path)
        assert result.exit_code == 0, result.output
        assert "files match" in result.output
    zipfile.ZipFile(archive).extractall(tmp_path)
    assert run("verify", tmp_path).exit_code == 0
    assert run("verify", tmp_path / "journalist-en").exit_code == 0


@pytest.mark.parametrize("damage", ["change", "remove", "add", "sums-line"])
def test_verify_names_each_file_that_differs_in_a_folder(zipped: tuple[Path, Path], tmp_path: Path, damage: str) -> None:
    _, archive = zipped
    zipfile.ZipFile(archive).extractall(tmp_path)
    folder = tmp_path / "journalist-en"
    if damage == "change":
        (folder / "handout.html").write_bytes((folder / "handout.html").read_bytes().replace(b"</body>", b"<p>x</p></body>"))
        expected = "handout.html: its SHA-256 differs"
    elif damage == "remove":
        (folder / "slides.html").unlink()
        expected = "slides.html: missing"
    elif damage == "add":
        (folder / "extra.exe").write_bytes(b"MZ")
        expected = "extra.exe: not listed in SHA256SUMS"
    else:
        (folder / SUMS).write_text((folder / SUMS).read_text() + "garbage\n")
        expected = "SHA256SUMS:"
    result = run("verify", folder)
    assert result.exit_code == 1
    assert expected in result.output
    assert "do not hand this pack out" in result.output


def test_verify_names_a_changed_file_inside_a_zip(zipped: tuple[Path, Path], tmp_path: Path) -> None:
    _, archive = zipped
    tampered = tmp_path / "en.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("manifest.json"):
                data = data.replace(b'"journalist"', b'"someone"')
            target.writestr(info, data)
    result = run("verify", tampered)
    assert result.exit_code == 1
    assert "manifest.json: its SHA-256 differs from SHA256SUMS" in result.output
    broken = tmp_path / "broken.zip"
    broken.write_bytes(archive.read_bytes()[:200])
    result = run("verify", broken)
    assert result.exit_code == 1 and "not a zip file" in result.output


def test_verify_checks_a_pack_folder_against_its_manifest(zipped: tuple[Path, Path], tmp_path: Path) -> None:
    import shutil

    out, _ = zipped
    copy = tmp_path / "en"
    shutil.copytree(out / "journalist" / "en", copy)
    (copy / "handout.pdf").write_bytes(b"%PDF-1.7 not the same")
    verdict = verify(copy)
    assert not verdict.ok and verdict.differ == ("handout.pdf: its SHA-256 differs from manifest.json",)


def test_a_zip_is_ours_to_replace_and_a_foreign_file_still_refuses_the_build(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(mini, out, "--profile", "whrd", "--lang", "en", "--format", "slides", "--zip").exit_code == 0
    archive = out / "whrd" / "en.zip"
    assert archive.is_file()
    # a build without --zip that changes the pack removes the zip that no longer matches it
    lesson = mini / "lessons" / "alpha" / "en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("title: Alpha basics", "title: Alpha, the basics"), encoding="utf-8")
    result = build(mini, out, "--profile", "whrd", "--lang", "en", "--format", "slides")
    assert result.exit_code == 0, result.output
    assert not archive.exists()
    # a zip someone else put there is not ours: the build refuses and leaves it
    (out / "whrd" / "en.zip").write_bytes(_foreign_zip())
    result = build(mini, out, "--profile", "whrd", "--lang", "en", "--format", "slides", "--zip")
    assert result.exit_code == 2 and "whrd/en.zip" in result.output
    assert (out / "whrd" / "en.zip").read_bytes() == _foreign_zip()


def _foreign_zip() -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("photos/a.txt", date_time=(2020, 1, 1, 0, 0, 0)), "family photos")
    return buffer.getvalue()


def test_workshop_and_discreet_zips_name_their_folder(mini: Path, tmp_path: Path) -> None:
    workshop = write_tree(tmp_path / "w", {"spring-training.yml": "profile: whrd\ntitle: Spring\n"}) / "spring-training.yml"
    out = tmp_path / "out"
    result = build(mini, out, "--workshop", workshop, "--lang", "en", "--format", "slides", "--zip")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out / "whrd" / "en.zip") as z:
        assert {n.split("/")[0] for n in z.namelist()} == {"spring-training-en"}
    result = build(mini, out, "--profile", "whrd", "--lang", "en", "--format", "slides", "--zip", "--discreet")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out / "whrd" / "en.zip") as z:
        assert {n.split("/")[0] for n in z.namelist()} == {"pack-en"}
        assert not any("whrd" in n or "slides" in n for n in z.namelist())


def test_verify_as_a_subprocess_exits_1_naming_the_file(zipped: tuple[Path, Path], tmp_path: Path) -> None:
    _, archive = zipped
    zipfile.ZipFile(archive).extractall(tmp_path)
    target = tmp_path / "journalist-en" / "handout.html"
    target.write_bytes(target.read_bytes() + b" ")
    done = subprocess.run(
        [sys.executable, "-m", "trainkit", "verify", str(tmp_path)], capture_output=True, text=True, env={**EPOCH, "PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 1
    assert "handout.html" in done.stderr and "Traceback" not in done.stderr
    assert hashlib.sha256(b"").hexdigest() not in done.stderr
