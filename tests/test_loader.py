"""One case per broken input, asserting the exact `path:line: message` a user sees."""

import datetime as dt

import pytest
from support import lesson

from trainkit.checks import check_curriculum
from trainkit.loader import fingerprint, load_curriculum

TODAY = dt.date(2026, 11, 27)


def problems_of(root):
    curriculum, problems = load_curriculum(root)
    if curriculum is not None:
        problems += check_curriculum(curriculum, TODAY)
    return sorted(p.format(root).split("\n")[0] for p in problems)


def test_good_lesson_loads_with_all_fields(make_curriculum):
    root = make_curriculum({"lessons/a/en.md": lesson(title="Alpha", topics="encryption, anonymity", prerequisites="")})
    curriculum, problems = load_curriculum(root)
    assert problems == []
    alpha = curriculum.lessons["a"]
    assert (alpha.title, alpha.topics, alpha.duration, alpha.level.value) == ("Alpha", ("encryption", "anonymity"), 30, "beginner")
    assert alpha.line_of("duration") == 7
    assert alpha.body.participant == "Participant text for Alpha."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "lessons/a/en.md:1: the file is empty"),
        ("title: no fence\n", "lessons/a/en.md:1: the file does not start with '---' front matter"),
        ("---\ntitle: never closed\n", "lessons/a/en.md:1: the front matter is never closed"),
        ("---\ntitle: [broken\n---\n", "lessons/a/en.md:2: invalid YAML: expected ',' or ']', but got '<stream end>'"),
        (
            lesson().replace("duration: 30", 'duration: "forty"'),
            "lessons/a/en.md:7: 'duration' must be a whole number (found 'forty')",
        ),
        (lesson().replace("level: beginner", "level: expert"), "lessons/a/en.md:6: 'expert' is not a valid level"),
        (lesson().replace("summary:", "sumary:"), "lessons/a/en.md:3: unknown key 'sumary'"),
        (
            lesson().replace("reviewed: 2026-01-01", "reviewed: last week"),
            "lessons/a/en.md:11: 'reviewed' must be a date written YYYY-MM-DD (found 'last week')",
        ),
        (lesson().replace("topics: [encryption]", "topics: [cryptography]"), "lessons/a/en.md:4: 'cryptography' is not a known topic"),
        (
            lesson().replace("audiences: [journalist]", "audiences: [periodista]"),
            "lessons/a/en.md:5: 'periodista' is not a known audience",
        ),
        (lesson(prerequisites="nowhere"), "lessons/a/en.md:8: unknown prerequisite 'nowhere'"),
        (
            lesson().replace("review_by: 2099-01-01", "review_by: 2026-06-01"),
            "lessons/a/en.md:12: the security advice was due for review on 2026-06-01",
        ),
        (lesson() + "\n![](lock.png)\n", "lessons/a/en.md:17: image 'lock.png' has no alt text"),
        (lesson() + "\n![A lock](nothere.png)\n", "lessons/a/en.md:17: missing image 'nothere.png'"),
        (
            lesson() + "\n![A file](../../../../etc/passwd.png)\n",
            "lessons/a/en.md:17: image '../../../../etc/passwd.png' is outside the lesson folder",
        ),
        (
            lesson() + "\n![A pixel](https://evil.example/t.gif)\n",
            "lessons/a/en.md:17: image 'https://evil.example/t.gif' is not a file in the lesson folder",
        ),
        (lesson() + "\n::: slides\n## A slide\n", "lessons/a/en.md:17: '::: slides' is never closed"),
        (
            lesson().replace("title: A lesson", "title: A lesson\ntitle: Twice"),
            "lessons/a/en.md:3: duplicate key 'title' (first set on line 2)",
        ),
    ],
)
def test_broken_lesson(make_curriculum, text, expected):
    root = make_curriculum({"lessons/a/en.md": text})
    assert expected in problems_of(root)


def test_missing_required_key_is_named(make_curriculum):
    root = make_curriculum({"lessons/a/en.md": lesson().replace("summary: A lesson used by the tests.\n", "")})
    assert "lessons/a/en.md:2: missing required key 'summary'" in problems_of(root)


def test_unknown_key_hint_suggests_the_right_key(make_curriculum):
    root = make_curriculum({"lessons/a/en.md": lesson().replace("duration:", "duraton:")})
    (problem,) = [p for p in load_curriculum(root)[1] if "duraton" in p.message]
    assert problem.hint == "did you mean 'duration'?"


def test_non_utf8_file(make_curriculum):
    root = make_curriculum({"lessons/a/en.md": lesson().encode() + b"\n\xff\xfe caf\xe9\n"})
    assert "lessons/a/en.md:17: not valid UTF-8 text (byte 0xff)" in problems_of(root)


def test_lesson_folder_without_source_file(make_curriculum):
    root = make_curriculum({"lessons/a/es.md": "---\ntitle: Hola\nsource_fingerprint: 0123456789abcdef\n---\n"})
    assert "lessons/a: lesson 'a' has no source-language file en.md" in problems_of(root)


def test_prerequisite_cycle_is_named(make_curriculum):
    root = make_curriculum(
        {
            "lessons/a/en.md": lesson(prerequisites="b"),
            "lessons/b/en.md": lesson(prerequisites="c"),
            "lessons/c/en.md": lesson(prerequisites="a"),
        }
    )
    assert "lessons/c/en.md:8: prerequisite cycle: a → b → c → a" in problems_of(root)


def test_translation_may_not_set_facts(make_curriculum):
    source = lesson()
    translation = f"---\ntitle: Una lección\nlevel: advanced\nduration: 5\nsource_fingerprint: {fingerprint(source)}\n---\nTexto.\n"
    root = make_curriculum({"lessons/a/en.md": source, "lessons/a/es.md": translation})
    found = problems_of(root)
    assert "lessons/a/es.md:3: a translation may not set 'level'" in found
    assert "lessons/a/es.md:4: a translation may not set 'duration'" in found


def test_translation_in_unknown_language(make_curriculum):
    source = lesson()
    root = make_curriculum(
        {"lessons/a/en.md": source, "lessons/a/fr.md": f"---\ntitle: Une leçon\nsource_fingerprint: {fingerprint(source)}\n---\nTexte.\n"}
    )
    assert "lessons/a/fr.md: 'fr' is not a language of this curriculum" in problems_of(root)


def test_translation_with_broken_fingerprint(make_curriculum):
    root = make_curriculum(
        {"lessons/a/en.md": lesson(), "lessons/a/es.md": "---\ntitle: Una lección\nsource_fingerprint: xyz\n---\nTexto.\n"}
    )
    assert "lessons/a/es.md:3: source_fingerprint 'xyz' is not a fingerprint" in problems_of(root)


def test_profile_with_unknown_lesson_audience_and_topic(make_curriculum):
    profile = "title: P\naudiences: [journalist, reporters]\ntopics: [encryptoin]\ninclude: [ghost]\n"
    root = make_curriculum({"lessons/a/en.md": lesson(), "profiles/p.yml": profile})
    found = problems_of(root)
    assert "profiles/p.yml:2: 'reporters' is not a known audience" in found
    assert "profiles/p.yml:3: 'encryptoin' is not a known topic" in found
    assert "profiles/p.yml:4: unknown lesson 'ghost' in include" in found


def test_unknown_language_code_in_curriculum(make_curriculum):
    root = make_curriculum({"curriculum.yml": "title: T\nsource_language: en\nlanguages: [en, xx-nope]\n", "lessons/a/en.md": lesson()})
    assert "curriculum.yml: 'xx-nope' is not a language known to CLDR" in problems_of(root)


def test_norwegian_stays_a_language(make_curriculum):
    root = make_curriculum({"curriculum.yml": "title: T\nsource_language: en\nlanguages: [en, no]\n", "lessons/a/en.md": lesson()})
    curriculum, problems = load_curriculum(root)
    assert problems == [] and curriculum.languages == ("en", "no")


def test_curriculum_may_add_topics_and_audiences(make_curriculum):
    meta = "title: T\nsource_language: en\ntopics: {physical-safety: Physical safety}\naudiences: {lawyer: Lawyers}\n"
    root = make_curriculum({"curriculum.yml": meta, "lessons/a/en.md": lesson(topics="physical-safety", audiences="lawyer")})
    assert problems_of(root) == []


def test_every_problem_is_reported_at_once(make_curriculum):
    root = make_curriculum(
        {
            "lessons/a/en.md": lesson().replace("level: beginner", "level: expert"),
            "lessons/b/en.md": "",
            "lessons/c/en.md": lesson(prerequisites="zzz"),
            "profiles/p.yml": "title: P\naudiences: [journalist]\nexclude: [nope]\n",
        }
    )
    found = [p for p in problems_of(root) if "not translated" not in p]  # c has no Spanish yet: a warning, not a problem here
    assert len(found) == 4
