"""`trainkit init PATH`: a new curriculum of one's own, or a copy of the one we ship.

In: a folder that does not exist or is empty. Out: that folder holding `curriculum/`
(curriculum.yml with the default vocabulary, lessons, a profile, a glossary, a cast),
`workshops/`, a `.gitignore` for `output/` and a README for its authors; nothing
anywhere else. The starter is the `starter/` folder of the templates; `--from-example`
copies the curriculum and workshops this package ships (the example/ package data,
or the repository's own folders in a source checkout).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from string import Template

from .errors import UsageError
from .model import a_year_after
from .render import TEMPLATES

_FILLED = {".md", ".yml"}  # starter files whose $today, $review_by and $workshop_date are filled in


def example_folders() -> tuple[Path, Path]:
    """The shipped curriculum and workshops: installed as trainkit/example/, or at the top of a checkout."""
    here = Path(__file__).resolve().parent
    for curriculum, workshops in (
        (here / "example" / "curriculum", here / "example" / "workshops"),
        (here.parent / "curriculum", here.parent / "workshops"),
    ):
        if (curriculum / "curriculum.yml").is_file():
            return curriculum, workshops
    raise UsageError(
        "this installation of Trainkit has no example curriculum", "reinstall Trainkit, or run 'trainkit init PATH' without --from-example"
    )


def init_project(path: Path, today: dt.date, from_example: bool = False) -> Path:
    """Create the project in `path`, all at once: it is written beside `path` and moved into place."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise UsageError(f"{path} exists and is not a folder; nothing was written", "give the path of a new or empty folder")
    if path.is_dir() and any(path.iterdir()):
        raise UsageError(
            f"{path} is not empty; nothing was written", "give the path of a new or empty folder, for example: trainkit init my-curriculum"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.init-", dir=path.parent))
    try:
        _copy_starter(staging, today, from_example)
        staging.chmod(0o755)  # mkdtemp made it private to us
        if path.is_dir():
            path.rmdir()  # empty, as checked above
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def _copy_starter(target: Path, today: dt.date, from_example: bool) -> None:
    starter = TEMPLATES / "starter"
    values = {
        "today": today.isoformat(),
        "review_by": a_year_after(today).isoformat(),
        "workshop_date": (today + dt.timedelta(days=14)).isoformat(),
        "title": _example_title() if from_example else "Digital safety workshop",
    }
    for source in sorted(starter.rglob("*")):
        relative = source.relative_to(starter)
        if source.is_dir() or (from_example and relative.parts[0] in ("curriculum", "workshops")):
            continue
        name = ".gitignore" if relative.as_posix() == "gitignore" else relative.as_posix()
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix in _FILLED:
            destination.write_text(Template(source.read_text(encoding="utf-8")).safe_substitute(values), encoding="utf-8")
        else:
            shutil.copyfile(source, destination)
    if from_example:
        curriculum, workshops = example_folders()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")
        shutil.copytree(curriculum, target / "curriculum", ignore=ignore)
        shutil.copytree(workshops, target / "workshops", ignore=ignore)


def _example_title() -> str:
    import yaml

    curriculum, _ = example_folders()
    return str(yaml.safe_load((curriculum / "curriculum.yml").read_text(encoding="utf-8"))["title"])
