"""A deterministic synthetic curriculum of any size, for the benchmark.

lessons × languages × profiles; the same seed always gives the same bytes.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

WORDS = (
    "phone laptop message account password key lock screen network server backup contact source team risk plan "
    "update setting browser link file photo location group trust device storage record update safety support share "
    "check choose protect explain remove verify encrypt hide notice review travel border office home friend partner"
).split()
TOPICS = ["foundations", "encryption", "anonymity", "pseudonyms"]
# Languages written in the Latin script, so that every machine with Noto Sans has their glyphs.
LANGUAGES = "en es fr pt de it nl sw id tr pl ro cs sv fi da hu ca hr sk".split()
LEVELS = ["beginner", "beginner", "intermediate"]


def sentence(rng: random.Random, words: int = 12) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int = 5) -> str:
    return "\n".join(textwrap.wrap(" ".join(sentence(rng, rng.randint(8, 16)) for _ in range(sentences)), 88))


def lesson_body(rng: random.Random, sections: int = 6) -> str:
    parts = []
    for s in range(sections):
        parts.append(f"## Section {s + 1}: {sentence(rng, 4)[:-1]}\n\n{paragraph(rng)}\n\n{paragraph(rng)}")
        parts.append("\n".join(f"{i}. {sentence(rng, 9)}" for i in range(1, 5)))
    parts.append("::: keypoints\n" + "\n".join(f"- {sentence(rng, 8)}" for _ in range(4)) + "\n:::")
    parts.append("::: checklist\n" + "\n".join(f"- {sentence(rng, 8)}" for _ in range(3)) + "\n:::")
    slides = []
    for n in range(8):
        bullets = "\n".join(f"- {sentence(rng, 5)[:-1]}" for _ in range(4))
        slides.append(f"## Slide {n + 1}: {sentence(rng, 3)[:-1]}\n{bullets}\n\n::: notes\n{paragraph(rng, 3)}\n:::")
    parts.append("::: slides\n" + "\n\n".join(slides) + "\n:::")
    parts.append(
        f"::: activity {{phase=discussion minutes=15 group=pairs}}\n### {sentence(rng, 4)[:-1]}\n{paragraph(rng, 3)}\n\n1. {sentence(rng)}\n2. {sentence(rng)}\n:::"
    )
    parts.append(f"::: facilitator\n{paragraph(rng, 4)}\n:::")
    return "\n\n".join(parts) + "\n"


def make_curriculum(root: Path, lessons: int, languages: int, profiles: int, seed: int = 1) -> Path:
    """Write the synthetic curriculum under `root` and return its path."""
    from trainkit.loader import fingerprint

    rng = random.Random(seed)
    codes = LANGUAGES[: max(1, languages)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "curriculum.yml").write_text(f"title: Synthetic curriculum\nsource_language: en\nlanguages: [{', '.join(codes)}]\n")
    ids = [f"lesson-{i:03d}" for i in range(lessons)]
    for index, ident in enumerate(ids):
        folder = root / "lessons" / ident
        folder.mkdir(parents=True, exist_ok=True)
        prerequisites = [ids[index - 1]] if index and index % 4 else []
        audiences = ["journalist", "whrd"] if index % 3 else (["journalist"] if index % 2 else ["whrd"])
        source = (
            f"---\ntitle: {sentence(rng, 5)[:-1]}\nsummary: {sentence(rng)}\ntopics: [{TOPICS[index % 4]}]\n"
            f"audiences: [{', '.join(audiences)}]\nlevel: {LEVELS[index % 3]}\nduration: {rng.choice([30, 45, 60])}\n"
            f"prerequisites: [{', '.join(prerequisites)}]\nobjectives:\n  - {sentence(rng, 7)}\n  - {sentence(rng, 7)}\n"
            f"materials:\n  - {sentence(rng, 4)}\nreviewed: 2026-11-01\nreview_by: 2099-01-01\n---\n\n{lesson_body(rng)}"
        )
        (folder / "en.md").write_text(source)
        for code in codes[1:]:
            translated = lesson_body(random.Random(f"{seed}-{ident}-{code}"))
            (folder / f"{code}.md").write_text(
                f"---\ntitle: ({code}) {sentence(rng, 5)[:-1]}\nsummary: {sentence(rng)}\nsource_fingerprint: {fingerprint(source)}\n---\n\n{translated}"
            )
    (root / "profiles").mkdir(exist_ok=True)
    audiences = ["journalist", "whrd"]
    for p in range(profiles):
        topics = TOPICS if p == 0 else [t for i, t in enumerate(TOPICS) if i != p % 4]
        (root / "profiles" / f"profile-{p}.yml").write_text(
            f"title: Profile {p}\naudiences: [{audiences[p % 2]}]\ntopics: [{', '.join(topics)}]\n"
        )
    return root
