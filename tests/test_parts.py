"""Lesson bodies split into participant text, slides with notes, activities and boxes."""

from pathlib import Path

from trainkit.blocks import parse_body
from trainkit.model import Group, Phase

P = Path("lesson.md")

BODY = """\
Intro with ![a lock](lock.svg) and [Signal](https://signal.org/).

```
::: slides
this is code, not a block
```

::: keypoints
- Keep it simple.
:::

::: slides
## First slide
- a point

::: notes
Say this first.
:::

## Second slide
- another point
:::

::: activity {phase=discussion minutes=15 group=pairs}
### Pairs: what would an adversary see?
1. Step one.
:::
"""


def test_parts_are_split_with_lines():
    body, problems = parse_body(BODY, P, first_line=12)
    assert problems == []
    assert body.participant.startswith("Intro with")
    assert "this is code, not a block" in body.participant
    assert body.keypoints == "- Keep it simple."
    assert [s.title for s in body.slides] == ["First slide", "Second slide"]
    assert body.slides[0].notes == "Say this first."
    assert body.slides[1].notes == ""
    assert body.slides[0].line == 12 + 12
    assert body.slides[1].line == 12 + 19
    (activity,) = body.activities
    assert (activity.title, activity.phase, activity.minutes, activity.group) == (
        "Pairs: what would an adversary see?",
        Phase.DISCUSSION,
        15,
        Group.PAIRS,
    )
    assert [(r.target, r.is_image, r.line) for r in body.refs] == [("lock.svg", True, 12), ("https://signal.org/", False, 12)]


def test_a_body_without_blocks_is_all_participant_text():
    body, problems = parse_body("Just text.\n\n## A section\n", P, 5)
    assert problems == [] and body.participant == "Just text.\n\n## A section" and body.slides == ()


def messages(text):
    return [(p.line, p.message) for p in parse_body(text, P, 1)[1]]


def test_unclosed_block():
    assert messages("::: slides\n## A\n") == [(1, "'::: slides' is never closed")]


def test_unknown_block_suggests_the_closest():
    body, problems = parse_body("::: keypoint\n- x\n:::\n", P, 1)
    assert problems[0].message == "unknown block '::: keypoint'"
    assert problems[0].hint == "did you mean 'keypoints'?"


def test_activity_with_unknown_phase():
    found = parse_body("::: activity {phase=lecture minutes=10}\n### T\n:::\n", P, 3)[1]
    assert [(p.line, p.message) for p in found] == [(3, "'lecture' is not an activity phase")]
    assert "activity, deepening, discussion, input, synthesis" in found[0].hint


def test_activity_needs_minutes_and_a_title():
    assert messages("::: activity {phase=input}\nno title\n:::\n") == [
        (1, "activity has no minutes"),
        (2, "an activity starts with a '### Title' line"),
    ]


def test_notes_outside_slides():
    assert messages("::: notes\nx\n:::\n") == [(1, "'::: notes' must be inside a '::: slides' block, after the slide it belongs to")]


def test_stray_close_and_nested_blocks():
    assert messages(":::\n") == [(1, "':::' closes a block that was never opened")]
    assert messages("::: slides\n## A\n::: keypoints\n:::\n:::\n")[0] == (3, "'::: keypoints' cannot be inside '::: slides'")


def test_unknown_attribute():
    found = parse_body("::: activity {phase=input minutes=5 grup=pairs}\n### T\n:::\n", P, 1)[1]
    assert found[0].message == "unknown attribute 'grup' on '::: activity'" and found[0].hint == "did you mean 'group'?"
