"""D3, D4: check and rendering agree on which file an image is, whatever its name."""

from __future__ import annotations

from helpers import build, lesson, run, translation, write
from pypdf import PdfReader

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x9a\xa0\xb9\x00\x00\x00\x00IEND\xaeB`\x82"
)


def images_in(pdf):
    return sum(len(page.images) for page in PdfReader(pdf).pages)


def test_an_image_named_with_a_space_or_accents_builds(tmp_path):
    body = "Look:\n\n![The signal diagram](<señal diagram.png>)\n\n![Un mapa](mapa%20de%20año.png)\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body), "lessons/a/señal diagram.png": PNG, "lessons/a/mapa de año.png": PNG})
    assert run("--curriculum", root, "check").exit_code == 0
    result = build(root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert images_in(tmp_path / "out/p/en/handout.pdf") == 2
    assert (tmp_path / "out/p/en/handout.html").read_text().count("data:image/png;base64,") == 2


def test_a_source_language_variant_is_used_not_dropped(tmp_path):
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![Three layers](layers.png)\n"), "lessons/a/layers.en.png": PNG})
    assert run("--curriculum", root, "check").exit_code == 0
    assert build(root, tmp_path / "out").exit_code == 0
    assert images_in(tmp_path / "out/p/en/handout.pdf") == 1
    assert 'alt="Three layers"' in (tmp_path / "out/p/en/handout.html").read_text()


def test_a_translation_falls_back_to_the_source_image_and_uses_its_own_variant(tmp_path):
    source = lesson("![Three layers](layers.png)\n")
    root = write(
        tmp_path / "c",
        {
            "lessons/a/en.md": source,
            "lessons/a/es.md": translation(source, "![Tres capas](layers.png)\n"),
            "lessons/a/layers.png": PNG,
            "lessons/a/layers.es.png": PNG[:-12] + b"\x00\x00\x00\x00IEND\xaeB`\x82",
        },
    )
    assert run("--curriculum", root, "check").exit_code == 0
    assert run("--curriculum", root, "build", "--out", tmp_path / "out", "--lang", "es").exit_code == 0
    assert images_in(tmp_path / "out/p/es/handout.pdf") == 1


def test_an_image_that_disappears_before_the_build_is_named(tmp_path):
    from trainkit.files import Refused
    from trainkit.pdf import load_resource

    try:
        load_resource("trainkit:lesson/a/se%C3%B1al%20diagram.png", tmp_path)
    except Refused as refused:
        assert "image 'señal diagram.png' of lesson 'a'" in refused.message
    else:
        raise AssertionError("a missing image must be refused")
