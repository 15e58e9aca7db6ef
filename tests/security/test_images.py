"""D3, D4: check and rendering agree on which file an image is, whatever its name."""

from __future__ import annotations

from helpers import build, lesson, png_bytes, run, translation, write
from pypdf import PdfReader


def images_in(pdf):
    return sum(len(page.images) for page in PdfReader(pdf).pages)


def test_an_image_named_with_a_space_or_accents_builds(tmp_path):
    body = "Look:\n\n![The signal diagram](<señal diagram.png>)\n\n![Un mapa](mapa%20de%20año.png)\n"
    root = write(
        tmp_path / "c",
        {"lessons/a/en.md": lesson(body), "lessons/a/señal diagram.png": png_bytes(), "lessons/a/mapa de año.png": png_bytes()},
    )
    assert run("--curriculum", root, "check").exit_code == 0
    result = build(root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert images_in(tmp_path / "out/p/en/handout.pdf") == 2
    assert (tmp_path / "out/p/en/handout.html").read_text().count("data:image/png;base64,") == 2


def test_a_source_language_variant_is_used_not_dropped(tmp_path):
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![Three layers](layers.png)\n"), "lessons/a/layers.en.png": png_bytes()})
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
            "lessons/a/layers.png": png_bytes(),
            "lessons/a/layers.es.png": png_bytes(2),
        },
    )
    assert run("--curriculum", root, "check").exit_code == 0
    assert run("--curriculum", root, "build", "--out", tmp_path / "out", "--lang", "es").exit_code == 0
    assert images_in(tmp_path / "out/p/es/handout.pdf") == 1


def test_an_image_that_disappears_before_the_build_is_named(tmp_path):
    from trainkit.assets import load_resource
    from trainkit.files import Refused

    try:
        load_resource("trainkit:lesson/a/se%C3%B1al%20diagram.png", tmp_path)
    except Refused as refused:
        assert "image 'señal diagram.png' of lesson 'a'" in refused.message
    else:
        raise AssertionError("a missing image must be refused")


# D8: Pillow reads every WebP form's size, and check decodes what it accepts
LOSSLESS_WEBP_16000 = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0e\x00\x00\x00/\x7f\xfe\x9f\x0f\x07\x10\x11\xfd\x0fDD\xff\x03"  # 16000×16000, 34 bytes
)


def webp(side: int, lossless: bool) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (side, side), 200).save(buffer, "WEBP", lossless=lossless)
    return buffer.getvalue()


def test_a_lossless_webp_over_the_pixel_limit_is_refused(tmp_path):
    assert LOSSLESS_WEBP_16000[12:16] == b"VP8L"
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![big](big.webp)\n"), "lessons/a/big.webp": LOSSLESS_WEBP_16000})
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1
    assert "'big.webp' is 16000×16000 pixels; the limit is 40,000,000 pixels" in result.output


def test_small_webps_of_both_kinds_are_accepted_and_built(tmp_path):
    body = "![lossy](a.webp)\n\n![lossless](b.webp)\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body), "lessons/a/a.webp": webp(16, False), "lessons/a/b.webp": webp(16, True)})
    assert run("--curriculum", root, "check").exit_code == 0
    assert build(root, tmp_path / "out").exit_code == 0
    assert images_in(tmp_path / "out/p/en/handout.pdf") == 2


def test_an_image_that_does_not_decode_is_a_check_error(tmp_path):
    whole = png_bytes(8)
    start = whole.index(b"IDAT") + 4
    broken = whole[:start] + b"\xde\xad\xbe\xef" * 4 + whole[start + 16 :]  # a real header, then damaged pixels
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![cut](cut.png)\n"), "lessons/a/cut.png": broken})
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1
    assert "image 'cut.png' is refused: 'cut.png' cannot be decoded as PNG" in result.output


# SVG: parsed and checked element by element (defusedxml), so escapes cannot hide a load
SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">{}</svg>'


def test_svg_tricks_that_regexes_missed_are_refused(tmp_path):
    from trainkit.files import Refused, check_svg

    hostile = [
        '<rect style="fill: u\\72l(https://t.example/x)" width="1" height="1"/>',
        '<rect style="background: \\75 rl(https://t.example/y)"/>',
        "<style>@\\69mport 'https://t.example/a.css';</style>",
        '<image xlink:href="https://t.example/i.png"/>',
        '<use href="other.svg#a"/>',
        '<a href="https://t.example"><rect/></a>',
        '<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>',
        '<rect onload="alert(1)"/>',
    ]
    for body in hostile:
        try:
            check_svg(SVG.format(body).encode(), "x.svg")
        except Refused:
            continue
        raise AssertionError(f"accepted: {body}")
    check_svg(
        SVG.format('<defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="5" height="5"/><text x="1" y="9">ok</text>').encode(),
        "ok.svg",
    )


def test_an_svg_with_entities_is_refused_without_expanding_them(tmp_path):
    from trainkit.files import Refused, check_svg

    bomb = '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">&b;</svg>'
    try:
        check_svg(bomb.encode(), "bomb.svg")
    except Refused as refused:
        assert "DTD or entities" in refused.message
    else:
        raise AssertionError("an SVG with entities must be refused")
