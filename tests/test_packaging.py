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


@pytest.mark.timeout(300)
def test_a_wheel_builds_a_pack_from_a_curriculum_elsewhere(tmp_path):
    wheels = tmp_path / "wheels"
    made = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    (wheel,) = wheels.glob("trainkit-*.whl")
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    names = {p.relative_to(installed).as_posix() for p in installed.rglob("*") if p.is_file()}
    assert {
        "trainkit/templates/handout.html.j2",
        "trainkit/templates/slides/deck.js",
        "trainkit/locale/es/LC_MESSAGES/trainkit.po",
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
