"""Property tests: random front matter and Markdown never crash the loader, and nothing unsafe
comes out of the sanitiser."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainkit.blocks import parse_body
from trainkit.checks import check_curriculum
from trainkit.loader import load_curriculum
from trainkit.markup import ALLOWED_TAGS, render_markdown

PIECES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>j</a>", "[l](javascript:x)",
    "[d](data:text/html,x)", "<iframe src=//e>", "<style>*{}</style>", "<svg onload=x>", "<base href=//e>", "<meta http-equiv=refresh>",
    "<object data=x>", "<embed src=x>", "<form action=x>", "<link rel=attachment href=file:///etc/passwd>", "{: onclick=x }",
    "![a](../../x.png)", "![a](https://e/x.png)", "<p style='x:url(//e)'>", "<a href=' jav&#x61;script:1'>", "<<", ">>", "&#0;",
    "::: slides", ":::", "::: notes", "## ", "- ", "1. ", "> ", "```", "\n", "\n\n", "*", "_", "`", "[", "]", "(", ")", "!", "#", "|",
    "text", "مرحبا", "\u202e", "\x00", "\t",
]  # fmt: skip
markdownish = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=40).map("".join)
yamlish = st.lists(
    st.sampled_from(
        [
            "title: ",
            "duration: ",
            "level: ",
            "- ",
            "&a ",
            "*a",
            "!!python/object ",
            "{",
            "}",
            "[",
            "]",
            ":",
            "#",
            '"',
            "'",
            "\n",
            "  ",
            "no",
            "1.10",
            "10:00",
            "~",
        ]
    )
    | st.text(max_size=8),
    max_size=30,
).map("".join)

BAD_TAG = re.compile(r"<\s*/?\s*([a-zA-Z][\w-]*)")


def attributes(html: str) -> list[tuple[str, str, str]]:
    from html.parser import HTMLParser

    found: list[tuple[str, str, str]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            found.extend((tag, name.lower(), value or "") for name, value in attrs)

    Collect().feed(html)
    return found


def resolver(name: str) -> str:
    return f"trainkit:lesson/a/{name}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish)
def test_sanitised_html_has_only_allowed_tags_attributes_and_schemes(text):
    html = render_markdown(text, resolver)
    for tag in BAD_TAG.findall(html):
        assert tag.lower() in ALLOWED_TAGS, tag
    for tag, name, value in attributes(html):  # parsed, so text that looks like an attribute is not one
        assert not name.startswith("on") and name != "style", (tag, name)
        if name in ("href", "src"):
            assert value.startswith(("https://", "http://", "mailto:", "#", "trainkit:lesson/a/")), value
        if tag == "div":
            assert (name, value) == ("class", "caution"), (name, value)


@settings(max_examples=200, deadline=None)
@given(markdownish)
def test_body_parser_never_raises(text):
    body, problems = parse_body(text, Path("lessons/a/en.md"), 14)
    assert all(p.path == Path("lessons/a/en.md") and (p.line is None or p.line >= 14) for p in problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(front=yamlish, body=markdownish)
def test_loader_and_checks_never_raise(front, body):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "curriculum.yml").write_text("title: T\nsource_language: en\n")
        (root / "lessons" / "a").mkdir(parents=True)
        (root / "lessons" / "a" / "en.md").write_text(f"---\n{front}\n---\n{body}", encoding="utf-8", errors="surrogatepass")
        curriculum, problems = load_curriculum(root)
        if curriculum is not None:
            problems += check_curriculum(curriculum, __import__("datetime").date(2026, 11, 27))
        for problem in problems:
            assert problem.message and problem.format(root)
