"""Threat 17 and R11, form by form: `check` sees exactly the links and images that rendering
produces (one parser, Python-Markdown plus the sanitiser), whatever Markdown form they take."""

from __future__ import annotations

import pytest
from helpers import build, lesson, png_bytes, run, translation, write

SOURCE = lesson("Get [Signal](https://signal.org/download/) from its own site.\n")
EVIL = "https://signal-download.example/"


@pytest.mark.parametrize(
    "body",
    [
        # the link text wraps onto a second line; the original address hides in a comment
        f"Descarga [Signal\n]({EVIL}) desde su sitio.\n\n<!-- [x](https://signal.org/download/) -->\n",
        # reference-style, with the original kept in a comment
        f"Descarga [Signal][s] desde su sitio.\n\n[s]: {EVIL}\n\n<!-- https://signal.org/download/ -->\n",
        # an autolink
        f"Descarga Signal desde <{EVIL}>.\n",
        # raw HTML, and the original as an unused definition
        f'Descarga <a href="{EVIL}">Signal</a>.\n\n[unused]: https://signal.org/download/\n',
        # the address split with an entity
        "Descarga [Signal](https://signal&#45;download.example/) desde su sitio.\n",
        # a title and angle brackets
        f'Descarga [Signal](<{EVIL}> "Signal") desde su sitio.\n',
    ],
)
def test_a_swapped_link_is_caught_in_every_form(tmp_path, body):
    root = write(tmp_path / "c", {"lessons/a/en.md": SOURCE, "lessons/a/es.md": translation(SOURCE, body)})
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1, result.output
    assert f"link '{EVIL}' is not in the source lesson" in result.output
    assert "the source has the link 'https://signal.org/download/', which this translation lacks" in result.output


def test_a_link_only_in_a_comment_or_code_is_not_a_link(tmp_path):
    hidden = "Descarga Signal.\n\n<!-- [Signal](https://signal.org/download/) -->\n\n```\n[Signal](https://signal.org/download/)\n```\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": SOURCE, "lessons/a/es.md": translation(SOURCE, hidden)})
    assert (
        "the source has the link 'https://signal.org/download/', which this translation lacks" in run("--curriculum", root, "check").output
    )


def test_the_same_link_in_another_form_is_accepted(tmp_path):
    faithful = "Descarga [Signal\n][s] desde su propio sitio.\n\n[s]: https://signal.org/download/\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": SOURCE, "lessons/a/es.md": translation(SOURCE, faithful)})
    result = run("--curriculum", root, "check")
    assert result.exit_code == 0, result.output


def test_a_swapped_link_is_named_at_its_line(tmp_path):
    body = f"Uno.\n\nDescarga [Signal\n]({EVIL}).\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": SOURCE, "lessons/a/es.md": translation(SOURCE, body)})
    assert f"lessons/a/es.md:9: link '{EVIL}' is not in the source lesson" in run("--curriculum", root, "check").output


def test_a_link_added_in_a_slide_title_or_checklist_is_caught(tmp_path):
    body = f"Descarga [Signal](https://signal.org/download/).\n\n::: checklist\n- Visita [esto]({EVIL})\n:::\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": SOURCE, "lessons/a/es.md": translation(SOURCE, body)})
    assert f"link '{EVIL}' is not in the source lesson" in run("--curriculum", root, "check").output


# D5: reference-style images are images
def test_a_reference_style_image_is_checked_like_any_image(tmp_path):
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("Look:\n\n![The three layers][layers]\n\n[layers]: layers.png\n")})
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1
    assert "lessons/a/en.md:19: missing image 'layers.png'" in result.output
    no_alt = write(tmp_path / "d", {"lessons/a/en.md": lesson("![][pic]\n\n[pic]: pic.png\n")})
    assert "image 'pic.png' has no alt text" in run("--curriculum", no_alt, "check").output


def test_a_reference_style_image_is_rendered(tmp_path):
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![A dot][dot]\n\n[dot]: dot.png\n")})
    (root / "lessons/a/dot.png").write_bytes(png_bytes())
    assert run("--curriculum", root, "check").exit_code == 0
    assert build(root, tmp_path / "out", "--format", "handout").exit_code == 0
    html = (tmp_path / "out/p/en/handout.html").read_text()
    assert 'alt="A dot"' in html and "data:image/png;base64," in html


def test_a_build_checks_the_links_of_the_languages_it_builds(tmp_path):
    """A swapped link in the Spanish text stops every build that makes Spanish packs, and
    `check`; an English-only build makes no Spanish file, so the trainer gets their packs."""
    body = f"Descarga [Signal\n]({EVIL}) desde su sitio.\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": SOURCE, "lessons/a/es.md": translation(SOURCE, body)})
    swapped = f"link '{EVIL}' is not in the source lesson"
    spanish = run("--curriculum", root, "build", "--out", tmp_path / "es", "--lang", "es")
    assert spanish.exit_code == 1 and swapped in spanish.output
    assert not (tmp_path / "es" / "p").exists()
    whole = run("--curriculum", root, "build", "--out", tmp_path / "all")
    assert whole.exit_code == 1 and swapped in whole.output
    english = build(root, tmp_path / "en")
    assert english.exit_code == 0, english.output
    assert swapped not in english.output
    assert (tmp_path / "en" / "p" / "en" / "handout.pdf").is_file()
    assert not (tmp_path / "en" / "p" / "es").exists()


def test_loading_reads_no_links_until_a_check_asks(tmp_path):
    """Finding links converts all of a text's Markdown, so it waits until a check needs
    them: a build or a shard in one language does not pay for the others."""
    from trainkit.loader import load_curriculum

    root = write(tmp_path / "c", {"lessons/a/en.md": SOURCE, "lessons/a/es.md": translation(SOURCE, f"Descarga [Signal]({EVIL}).\n")})
    curriculum, _ = load_curriculum(root)
    spanish = curriculum.lessons["a"].translations["es"].body
    assert "refs" not in vars(spanish)
    assert [ref.target for ref in spanish.refs] == [EVIL] and "refs" in vars(spanish)
