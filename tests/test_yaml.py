"""YAML without surprises: literal text, refused aliases/tags/duplicates, real line numbers."""

from pathlib import Path

from trainkit.yamlsafe import load_yaml

P = Path("x.yml")


def test_scalars_keep_their_literal_text():
    doc, problems = load_yaml("a: no\nb: 1.10\nc: 10:00\nd: yes\n", P)
    assert problems == []
    assert doc.data == {"a": "no", "b": "1.10", "c": "10:00", "d": "yes"}


def test_lines_are_counted_from_the_given_first_line():
    doc, _ = load_yaml("title: x\nlist:\n  - one\n  - two\n", P, first_line=5)
    assert doc.lines[("title",)] == 5
    assert doc.lines[("list", 1)] == 8


def test_alias_is_refused_before_expansion():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    doc, problems = load_yaml(bomb, P, first_line=2)
    assert doc is None
    assert [p.format() for p in problems] == ["x.yml:2: anchors (&name) are not allowed\n  hint: write the value out in full"]


def test_duplicate_key_names_both_lines():
    _, problems = load_yaml("title: one\nsummary: s\ntitle: two\n", P)
    assert problems[0].line == 3
    assert problems[0].message == "duplicate key 'title' (first set on line 1)"


def test_python_tags_are_refused():
    doc, problems = load_yaml("a: !!python/object/apply:os.system [echo hi]\n", P)
    assert problems[0].message.startswith("YAML tags such as")
    assert doc.data == {"a": None}


def test_value_cut_by_comment_gets_a_hint():
    _, problems = load_yaml("title: Part #2\n", P)
    assert not problems[0].is_error
    assert problems[0].hint == 'put the whole value in quotes: "Part #2"'


def test_syntax_error_has_file_line():
    doc, problems = load_yaml("a: [1, 2\nb: 3\n", P, first_line=10)
    assert doc is None
    assert problems[0].message.startswith("invalid YAML")
    assert problems[0].line >= 10


def test_control_character_is_reported_with_its_line():
    doc, problems = load_yaml("a: 1\nb: x\x1fy\n", P, first_line=2)
    assert doc is None
    assert (
        problems[0].format()
        == "x.yml:3: invalid YAML: the character U+001F is not allowed in YAML text\n  hint: remove the invisible character"
    )
