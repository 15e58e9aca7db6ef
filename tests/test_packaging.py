"""D10: the tool installs from a wheel and builds from a curriculum in another folder, reading
nothing (templates, styles, scripts, catalogs) from the source checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip wheel .` makes of this checkout (built once for the module)."""
    wheels = tmp_path_factory.mktemp("wheels")
    made = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=wheels,
    )
    assert made.returncode == 0, made.stderr
    (found,) = wheels.glob("trainkit-*.whl")
    return found


@pytest.mark.timeout(300)
def test_a_wheel_builds_a_pack_from_a_curriculum_elsewhere(tmp_path, wheel):
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    names = {p.relative_to(installed).as_posix() for p in installed.rglob("*") if p.is_file()}
    assert {
        "trainkit/templates/handout.html.j2",
        "trainkit/templates/slides/deck.js",
        "trainkit/locale/es/LC_MESSAGES/trainkit.po",
        "trainkit/serve/app.py",
        "trainkit/templates/serve/plan.html.j2",
        "trainkit/templates/serve/static/app.js",
        "trainkit/templates/serve/static/app.css",
    } <= names

    curriculum = tmp_path / "elsewhere" / "curriculum"
    shutil.copytree(ROOT / "tests" / "fixtures" / "mini", curriculum)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed), "SOURCE_DATE_EPOCH": "1767225600"}
    env.pop("TRAINKIT_TEMPLATES", None)
    where = subprocess.run(
        [sys.executable, "-c", "import trainkit.render as r; print(r.__file__); print(r.TEMPLATES)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
    )
    module, templates = where.stdout.split()
    assert Path(module).is_relative_to(installed) and Path(templates).is_relative_to(installed), where.stdout
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "trainkit",
            "--curriculum",
            str(curriculum),
            "build",
            "--profile",
            "journalist",
            "--lang",
            "es",
            "--out",
            str(work / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    pack = work / "out" / "journalist" / "es"
    assert {"handout.pdf", "guide.pdf", "slides.html", "manifest.json"} <= {p.name for p in pack.iterdir()}
    assert json.loads((pack / "manifest.json").read_text())["language"] == "es"
    assert "Material para participantes" in (pack / "handout.html").read_text()  # the Spanish catalog came along


def test_every_module_the_package_imports_is_a_declared_dependency():
    """What a fresh `pip install` brings is what pyproject.toml declares: every third-party
    module imported anywhere in trainkit/ must come from a declared distribution (pypdf,
    for one, is now only a test dependency)."""
    import ast
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {normal(re.split(r"[<>=!~ \[;]", requirement)[0]) for requirement in project["dependencies"]}
    imported: dict[str, str] = {}
    for path in sorted((ROOT / "trainkit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                imported.setdefault(name.split(".")[0], path.relative_to(ROOT).as_posix())
    distributions = packages_distributions()
    missing = {
        module: where
        for module, where in imported.items()
        if module not in sys.stdlib_module_names
        and module != "trainkit"
        and not {normal(d) for d in distributions.get(module, [module])} & declared
    }
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


@pytest.mark.timeout(600)
def test_a_fresh_virtual_environment_with_the_wheel_runs_init_check_build_and_doctor(tmp_path, wheel):
    """The user's path: `pip install trainkit` into a new environment, then the `trainkit`
    command on curricula of their own, from a folder that has nothing of this checkout.

    Offline, pip cannot fetch the dependencies, so the new environment sees this one's
    installed libraries through a .pth file (not its editable trainkit: a .pth in a folder
    that a .pth adds is never read); trainkit itself comes only from the wheel."""
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=240)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)], capture_output=True, text=True, timeout=240
    )
    assert installed.returncode == 0, installed.stderr
    trainkit = venv / "bin" / "trainkit"
    work = tmp_path / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "TRAINKIT_TEMPLATES", "TRAINKIT_CURRICULUM")}
    env["SOURCE_DATE_EPOCH"] = "1767225600"

    def trainkit_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([str(trainkit), *args], capture_output=True, text=True, cwd=folder, env=env, timeout=300)
        assert result.returncode == 0, f"trainkit {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    where = subprocess.run(
        [str(python), "-c", "import trainkit; print(trainkit.__file__)"], capture_output=True, text=True, cwd=work, env=env
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # the wheel's trainkit, not this checkout's

    trainkit_in(work, "init", "ours")
    project = work / "ours"
    assert "A build will work." in trainkit_in(project, "doctor").stdout
    trainkit_in(project, "check", "--strict")
    built = trainkit_in(project, "build")
    assert "1 of 1 packs built" in built.stdout
    pack = project / "output" / "everyone" / "en"
    assert {"handout.pdf", "handout.html", "guide.pdf", "slides.html", "slides.pdf", "manifest.json"} <= {p.name for p in pack.iterdir()}

    trainkit_in(work, "init", "example", "--from-example")
    example = work / "example"
    shipped = sorted(p.relative_to(ROOT / "curriculum").as_posix() for p in (ROOT / "curriculum").rglob("*") if p.is_file())
    copied = sorted(p.relative_to(example / "curriculum").as_posix() for p in (example / "curriculum").rglob("*") if p.is_file())
    assert copied == shipped  # the shipped curriculum travels in the wheel, snapshots and images included
    trainkit_in(example, "check")
    trainkit_in(example, "build", "--profile", "whrd", "--lang", "ar", "--format", "handout")
    assert (example / "output" / "whrd" / "ar" / "handout.pdf").stat().st_size > 100_000
