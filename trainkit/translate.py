"""The translator workflow: scaffold a translation, report what is current, stale or missing
(and what changed in the source), and record that a translation caught up.

A translation records the fingerprint of the source text it was made from, and
the source commit when the curriculum is in git. The source text itself is kept
as a snapshot under `.trainkit/snapshots/`, so `status` can show a diff of what
changed even without git.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError
from .i18n import language_name, language_problem
from .loader import fingerprint, split_front_matter
from .model import Curriculum, Lesson
from .segments import segment_file

SNAPSHOTS = Path(".trainkit") / "snapshots"


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonStatus:
    id: str
    title: str
    status: str  # "current", "partial" (current, some segments still in the source text), "stale" or "missing"
    path: Path
    changes: str = ""  # the changed segments' source text, old and new
    changes_from: str = ""  # "snapshot", "git" or "" when the old source is unknown
    stale_segments: int = 0  # segments of the source that changed, appeared or went since the translation
    translated_percent: int = 100  # of the source's segments (segments.py)

    def as_json(self, root: Path) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title, "status": self.status, "path": str(self.path.relative_to(root))}
        if self.status != "missing":
            data["translated_percent"] = self.translated_percent
        if self.status == "stale":
            data["stale_segments"] = self.stale_segments
            data["changes"] = self.changes
            data["changes_from"] = self.changes_from or None
        return data


def snapshot_path(curriculum_root: Path, lesson_id: str, print_: str) -> Path:
    return curriculum_root / SNAPSHOTS / lesson_id / f"{print_}.md"


def save_snapshot(curriculum_root: Path, lesson: Lesson) -> None:
    """Keep the source text a translation is made from, named by its fingerprint."""
    text = lesson.path.read_text(encoding="utf-8")
    path = snapshot_path(curriculum_root, lesson.id, fingerprint(text))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def git_commit(path: Path) -> str | None:
    """The last commit of `path` when it is in git and unchanged since; else None."""
    try:
        folder = str(path.parent)
        dirty = subprocess.run(
            ["git", "-C", folder, "status", "--porcelain", "--", path.name], capture_output=True, text=True, timeout=10, check=False
        )
        if dirty.returncode != 0 or dirty.stdout.strip():
            return None
        result = subprocess.run(
            ["git", "-C", folder, "log", "-1", "--format=%H", "--", path.name], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", commit) else None


def git_show(path: Path, commit: str) -> str | None:
    try:
        top = subprocess.run(
            ["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=10, check=False
        )
        if top.returncode != 0:
            return None
        relative = path.resolve().relative_to(Path(top.stdout.strip()).resolve())
        result = subprocess.run(
            ["git", "-C", str(path.parent), "show", f"{commit}:{relative.as_posix()}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return result.stdout if result.returncode == 0 else None


def scaffold_translation(curriculum: Curriculum, lang: str, lesson_id: str, add_language: bool = False) -> Path:
    """Write lessons/<id>/<lang>.md from the current source, ready to be overwritten."""
    problem = language_problem(lang)
    if problem:
        raise UsageError(problem, "use a language code such as es, fr, ar, pt-BR")
    if lesson_id not in curriculum.lessons:
        from .errors import did_you_mean

        raise UsageError(f"unknown lesson '{lesson_id}'", did_you_mean(lesson_id, curriculum.lessons, "lessons"))
    if lang == curriculum.source_language:
        raise UsageError(f"'{lang}' is the source language", "translations are made into the other languages")
    if lang not in curriculum.languages:
        if not add_language:
            raise UsageError(
                f"'{lang}' is not a language of this curriculum",
                f"add --add-language to add it to curriculum.yml (now: {', '.join(curriculum.languages)})",
            )
        add_language_to(curriculum.root / "curriculum.yml", lang)
    lesson = curriculum.lessons[lesson_id]
    target = lesson.folder / f"{lang}.md"
    if target.exists():
        raise UsageError(
            f"{target} already exists",
            f"edit it; after updating it to a newer source, run: trainkit translate mark-current {lang} {lesson_id}",
        )
    split = split_front_matter(lesson.path.read_text(encoding="utf-8"), lesson.path)
    body = split[2] if isinstance(split, tuple) else ""
    header = {"title": lesson.title, "summary": lesson.summary, "objectives": list(lesson.objectives)}
    if lesson.materials:
        header["materials"] = list(lesson.materials)
    lines = [
        "---",
        f"# Translate the values below and the body into {language_name(lang, 'en')}. Keep '::: …' lines and {{…}} as they are.",
    ]
    lines.append(yaml.safe_dump(header, allow_unicode=True, sort_keys=False, width=1000).rstrip())
    lines.append(f"source_fingerprint: {lesson.fingerprint}")
    commit = git_commit(lesson.path)
    if commit:
        lines.append(f"source_commit: {commit}")
    lines += ["---", body.lstrip("\n")]
    target.write_text("\n".join(lines), encoding="utf-8")
    save_snapshot(curriculum.root, lesson)
    return target


def add_language_to(meta_path: Path, lang: str) -> None:
    """Add a language to `languages:` in curriculum.yml, editing only the lines of that list.

    The YAML line map (yamlsafe) says where the key and each item are, so comments, other
    keys and the list's own style (flow `[en, es]` or one `- item` a line) stay as written."""
    from .yamlsafe import load_yaml

    text = meta_path.read_text(encoding="utf-8")
    lines = text.split("\n")
    doc, _ = load_yaml(text, meta_path)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    items = data.get("languages")
    key_line = doc.lines.get(("languages",)) if doc is not None else None
    if key_line is None or not isinstance(items, list):
        lines = [*lines[: len(lines) - (1 if lines and lines[-1] == "" else 0)], f"languages: [{lang}]", ""]
    else:
        item_lines = [doc.lines.get(("languages", i)) for i in range(len(items))]  # type: ignore[union-attr]
        flow = re.match(r"^(\s*languages:\s*\[)([^\]]*)(\].*)$", lines[key_line - 1])
        if flow:
            listed = [item.strip() for item in flow.group(2).split(",") if item.strip()]
            lines[key_line - 1] = flow.group(1) + ", ".join([*listed, lang]) + flow.group(3)
        elif items and all(item_lines):
            last = max(item_lines)  # type: ignore[type-var]
            indent = re.match(r"^(\s*-\s*)", lines[last - 1])
            lines.insert(last, f"{indent.group(1) if indent else '  - '}{lang}")
        else:
            lines[key_line - 1] = re.sub(r"^(\s*languages:).*$", rf"\1 [{lang}]", lines[key_line - 1])
    meta_path.write_text("\n".join(lines), encoding="utf-8")


def mark_current(curriculum: Curriculum, lang: str, lesson_id: str) -> Path:
    """Record that the translation now matches the current source (new fingerprint and commit)."""
    lesson = curriculum.lessons.get(lesson_id)
    if lesson is None:
        from .errors import did_you_mean

        raise UsageError(f"unknown lesson '{lesson_id}'", did_you_mean(lesson_id, curriculum.lessons, "lessons"))
    translation = lesson.translations.get(lang)
    if translation is None:
        raise UsageError(f"lesson '{lesson_id}' has no {lang} translation", f"create one with: trainkit translate new {lang} {lesson_id}")
    text = translation.path.read_text(encoding="utf-8")
    text = re.sub(r"^source_fingerprint:.*$", f"source_fingerprint: {lesson.fingerprint}", text, count=1, flags=re.M)
    commit = git_commit(lesson.path)
    if re.search(r"^source_commit:.*$", text, re.M):
        text = re.sub(r"^source_commit:.*\n", f"source_commit: {commit}\n" if commit else "", text, count=1, flags=re.M)
    elif commit:
        text = re.sub(r"^(source_fingerprint:.*\n)", rf"\g<1>source_commit: {commit}\n", text, count=1, flags=re.M)
    translation.path.write_text(text, encoding="utf-8")
    save_snapshot(curriculum.root, lesson)
    return translation.path


def lesson_status(curriculum: Curriculum, lesson: Lesson, lang: str) -> LessonStatus:
    translation = lesson.translations.get(lang)
    path = translation.path if translation else lesson.folder / f"{lang}.md"
    if translation is None:
        return LessonStatus(id=lesson.id, title=lesson.title, status="missing", path=path)
    new = lesson.path.read_text(encoding="utf-8")
    total = len(segment_file(new, lesson.path).segments)
    percent = 100 * (total - len(translation.untranslated)) // total if total else 100
    if translation.source_fingerprint == lesson.fingerprint:
        state = "partial" if translation.untranslated else "current"
        return LessonStatus(id=lesson.id, title=translation.title, status=state, path=path, translated_percent=percent)
    old, origin = old_source_text(curriculum, lesson, translation.source_fingerprint, translation.source_commit)
    changes, count = segment_changes(old, new, lesson) if old is not None else ("", 0)
    return LessonStatus(
        id=lesson.id,
        title=translation.title,
        status="stale",
        path=path,
        changes=changes,
        changes_from=origin,
        stale_segments=count,
        translated_percent=percent,
    )


def old_source_text(curriculum: Curriculum, lesson: Lesson, old_print: str, commit: str | None) -> tuple[str | None, str]:
    """The source a translation was made from, and where it came from ("snapshot" or "git")."""
    snapshot = snapshot_path(curriculum.root, lesson.id, old_print)
    if snapshot.is_file():
        return snapshot.read_text(encoding="utf-8"), "snapshot"
    if commit:
        old = git_show(lesson.path, commit)
        if old is not None:
            return old, "git"
    return None, ""


def segment_changes(old: str, new: str, lesson: Lesson) -> tuple[str, int]:
    """The source's segments that changed, appeared or went since `old`, each with a diff of its
    own text (wrapped, so a long paragraph shows the words that changed), and their count."""
    try:
        before, after = segment_file(old, lesson.path), segment_file(new, lesson.path)
    except ValueError:
        return "", 0
    name = str(lesson.path.name)
    old_texts = {segment.text for segment in before.segments}
    new_texts = {segment.text for segment in after.segments}
    was = before.by_ctx()
    parts = []
    for segment in after.segments:
        if segment.text in old_texts:
            continue  # unchanged, here or moved
        previous = was.get(segment.ctx)
        old_lines = textwrap.wrap(previous.text, 72) if previous is not None and previous.text not in new_texts else []
        diff = difflib.unified_diff(old_lines, textwrap.wrap(segment.text, 72), lineterm="", n=1)
        body = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
        parts.append(f"@@ {name}:{segment.line} {segment.ctx} ({segment.kind}){'' if old_lines else ', new'}\n" + "\n".join(body))
    changed = {segment.ctx for segment in after.segments if segment.text not in old_texts}
    for segment in before.segments:
        if segment.text not in new_texts and segment.ctx not in changed:
            parts.append(
                f"@@ {segment.ctx} ({segment.kind}), removed from the source\n"
                + "\n".join(f"-{line}" for line in textwrap.wrap(segment.text, 72))
            )
    return "\n".join(parts) + ("\n" if parts else ""), len(parts)


def status_report(curriculum: Curriculum, languages: list[str]) -> list[dict[str, Any]]:
    """Per language: every lesson's status, counts and coverage."""
    report = []
    for lang in languages:
        statuses = [lesson_status(curriculum, lesson, lang) for lesson in curriculum.lessons.values()]
        total = len(statuses)
        counts = {kind: sum(s.status == kind for s in statuses) for kind in ("current", "partial", "stale", "missing")}
        report.append(
            {
                "language": lang,
                "name": language_name(lang, "en"),
                "lessons_total": total,
                **counts,
                "translated": counts["current"] + counts["partial"] + counts["stale"],
                "coverage": round(100 * (counts["current"] + counts["partial"] + counts["stale"]) / total, 1) if total else 0.0,
                "up_to_date": round(100 * counts["current"] / total, 1) if total else 0.0,
                "lessons": [s.as_json(curriculum.root) for s in statuses],
                "_statuses": statuses,
            }
        )
    return report
