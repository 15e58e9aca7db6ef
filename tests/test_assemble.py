"""Pure assembly: filters, include/exclude, transitive prerequisites, order, budget."""

import datetime as dt
from pathlib import Path

from trainkit.model import DEFAULT_AUDIENCES, DEFAULT_TOPICS, Body, Curriculum, Lesson, Level, Paper, Profile, Vocabulary
from trainkit.select import select_lessons


def lesson(ident, topics=("encryption",), audiences=("journalist",), level="beginner", prerequisites=(), duration=30):
    return Lesson(
        id=ident,
        path=Path(f"lessons/{ident}/en.md"),
        title=ident.title(),
        summary="s",
        topics=tuple(topics),
        audiences=tuple(audiences),
        level=Level(level),
        duration=duration,
        prerequisites=tuple(prerequisites),
        objectives=("o",),
        materials=(),
        tools=(),
        reviewed=dt.date(2026, 1, 1),
        review_by=dt.date(2099, 1, 1),
        body=Body(participant=""),
        fingerprint="0" * 16,
    )


def curriculum(*lessons):
    vocabulary = Vocabulary(
        topics={k: {"en": v} for k, v in DEFAULT_TOPICS.items()}, audiences={k: {"en": v} for k, v in DEFAULT_AUDIENCES.items()}
    )
    return Curriculum(
        root=Path("."),
        title="T",
        description="",
        source_language="en",
        languages=("en",),
        paper=Paper.A4,
        vocabulary=vocabulary,
        lessons={x.id: x for x in lessons},
        profiles={},
    )


def profile(audiences=("journalist",), topics=None, max_level=None, include=(), exclude=(), time_budget=None):
    return Profile(
        id="p",
        path=Path("profiles/p.yml"),
        title="P",
        description="",
        audiences=tuple(audiences),
        topics=topics,
        max_level=Level(max_level) if max_level else None,
        include=tuple(include),
        exclude=tuple(exclude),
        time_budget=time_budget,
    )


CUR = curriculum(
    lesson("threats", topics=("foundations",), audiences=("journalist", "whrd")),
    lesson("crypto", prerequisites=("threats",)),
    lesson("messaging", prerequisites=("crypto",), audiences=("whrd",)),
    lesson("tor", topics=("anonymity",), level="intermediate", prerequisites=("crypto",)),
    lesson("onion-services", topics=("anonymity",), level="advanced", prerequisites=("tor",)),
    lesson("names", topics=("pseudonyms",), audiences=("whrd",), prerequisites=("threats",)),
)


def test_audience_filter_and_prerequisite_order():
    assert select_lessons(CUR, profile()).ids == ("threats", "crypto", "tor", "onion-services")


def test_topic_and_level_filters():
    assert select_lessons(CUR, profile(topics=("anonymity",), max_level="intermediate")).ids == ("threats", "crypto", "tor")


def test_prerequisites_are_pulled_in_transitively_and_reported():
    selection = select_lessons(CUR, profile(topics=("anonymity",), max_level="intermediate"))
    assert selection.pulled_in == {"crypto": ("tor",), "threats": ("crypto",)}


def test_include_adds_and_exclude_removes_whatever_the_filters_say():
    assert select_lessons(CUR, profile(include=("names",), exclude=("onion-services",))).ids == ("threats", "crypto", "names", "tor")


def test_excluded_prerequisite_is_pulled_back_in_with_a_warning():
    selection = select_lessons(CUR, profile(exclude=("threats",)))
    assert "threats" in selection.ids
    assert any("'threats' is excluded, but 'crypto' builds on it" in p.message for p in selection.problems)


def test_ties_break_by_level_then_topic_then_id():
    whrd = select_lessons(CUR, profile(audiences=("whrd",)))
    assert whrd.ids == ("threats", "crypto", "messaging", "names")


def test_over_budget_is_a_warning_with_total_and_budget():
    selection = select_lessons(CUR, profile(time_budget=100))
    (problem,) = selection.problems
    assert not problem.is_error
    assert problem.message == "profile 'p' needs 120 minutes of teaching, over its budget of 100 minutes"
    assert select_lessons(CUR, profile(time_budget=120)).problems == ()


def test_a_workshops_order_is_followed_as_far_as_prerequisites_allow():
    from trainkit.select import moved_for_prerequisites

    chosen = profile(include=("names",))
    default = select_lessons(CUR, chosen).ids
    assert default == ("threats", "crypto", "names", "tor", "onion-services")
    # names before crypto, tor last but one: followed
    ordered = select_lessons(CUR, chosen, order=("threats", "names", "crypto", "onion-services", "tor")).ids
    assert ordered == ("threats", "names", "crypto", "tor", "onion-services")  # onion-services builds on tor: tor moves up
    # a lesson asked for first brings its prerequisites up with it, and nothing else
    ordered = select_lessons(CUR, chosen, order=("tor",)).ids
    assert ordered == ("threats", "crypto", "tor", "names", "onion-services")
    selection = select_lessons(CUR, chosen, order=("tor", "crypto", "threats"))
    assert selection.ids[:3] == ("threats", "crypto", "tor")
    assert sorted(moved_for_prerequisites(("tor", "crypto", "threats"), selection)) == [("crypto", "tor"), ("threats", "crypto")]
    # ids in the order that the pack does not hold change nothing
    assert select_lessons(CUR, chosen, order=("messaging", "nothing")).ids == default
