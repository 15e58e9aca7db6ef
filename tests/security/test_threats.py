"""One test per row of THREATS.md: a hostile lesson or translation, and the behaviour we want."""

from __future__ import annotations

import getpass
import os
import re
import socket
import threading
import time

import pytest
from helpers import CANARY, all_bytes, build, lesson, run, translation, write
from pypdf import PdfReader

from trainkit.markup import render_markdown


def resolver(name):
    return f"trainkit:lesson/a/{name}"


# 1 — local file embedded in a PDF
def test_01_attachment_links_never_embed_local_files(tmp_path):
    secret = tmp_path / "id_ed25519"
    secret.write_text(CANARY)
    body = f'<link rel="attachment" href="file://{secret}">\n\n<a rel="attachment" href="file://{secret}">key</a> and <a href="{secret.as_uri()}">plain</a>\n'
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body)})
    result = build(root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "out" / "p" / "en" / "handout.pdf"
    assert PdfReader(pdf).attachments == {}
    assert CANARY.encode() not in all_bytes(tmp_path / "out")
    assert b"file:" not in all_bytes(tmp_path / "out" / "p")


# 2 — traversal through an image or link path
@pytest.mark.parametrize("target", ["../../../../etc/passwd.png", "%2e%2e/%2e%2e/secret.png", "/etc/passwd.png", "..\\..\\x.png"])
def test_02_traversal_is_an_error_and_the_old_pack_stays(tmp_path, target):
    good = write(tmp_path / "c", {"lessons/a/en.md": lesson("Fine text.\n")})
    assert build(good, tmp_path / "out").exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out" / "p" / "en").iterdir()}
    (good / "lessons/a/en.md").write_text(lesson(f"Text.\n\n![a file]({target})\n"))
    result = build(good, tmp_path / "out")
    assert result.exit_code == 1
    expected = "is not a file directly in the lesson folder" if "\\" in target else "is outside the lesson folder"
    assert f"lessons/a/en.md:17: image '{target}' {expected}" in result.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "out" / "p" / "en").iterdir()} == before


# 3 — symlink smuggled in a contribution
def test_03_symlinked_image_and_folder_are_refused(tmp_path):
    secret = tmp_path / "sources.xlsx"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + CANARY.encode())
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![a chart](a.png)\n\n![another](img/b.png)\n")})
    (root / "lessons/a/a.png").symlink_to(secret)
    (root / "lessons/a/img").symlink_to(tmp_path)
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1
    assert "lessons/a/en.md:15: image 'a.png' is outside the lesson folder" in result.output
    assert "img/b.png" in result.output
    (root / "lessons/a/real.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(16))
    (root / "lessons/a/inner.png").symlink_to(root / "lessons/a/real.png")
    (root / "lessons/a/en.md").write_text(lesson("![inner](inner.png)\n"))
    assert (
        "image 'inner.png' is refused: 'inner.png' is a symbolic link; links are not followed" in run("--curriculum", root, "check").output
    )
    (root / "lessons/b").symlink_to(root / "lessons/a")
    assert "lessons/b: a lesson folder may not be a symbolic link" in run("--curriculum", root, "check").output


# 4 — network request during a build
@pytest.mark.enable_socket
def test_04_no_socket_is_opened_for_any_resource_construct(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    hits = []

    def accept():
        deadline = time.time() + 60
        while time.time() < deadline and not stop.is_set():
            try:
                connection, _ = listener.accept()
                hits.append(connection.recv(200))
                connection.close()
            except OSError:
                pass

    stop = threading.Event()
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    body = (
        f'<picture><source srcset="{base}/img.png"></picture>\n<img srcset="{base}/s.png 2x" alt="x">\n'
        f"<style>@import url({base}/a.css); @font-face {{ font-family: x; src: url({base}/f.woff) }} p {{ background: url({base}/b.png) }}</style>\n"
        f'<p style="background-image: url({base}/c.png)">styled</p>\n<video poster="{base}/v.png"></video>\n'
        f'<link rel="stylesheet" href="{base}/l.css"><link rel="dns-prefetch" href="{base}">\n<iframe src="{base}/frame"></iframe>\n'
        f'<object data="{base}/o"></object><embed src="{base}/e"><svg><image href="{base}/i.png"/></svg>\n\n[a link]({base}/page)\n'
    )
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body)})
    result = build(root, tmp_path / "out")
    stop.set()
    thread.join()
    listener.close()
    assert result.exit_code == 0, result.output
    assert hits == []
    html = (tmp_path / "out/p/en/handout.html").read_text()
    assert f"127.0.0.1:{port}/page" in html  # the link stays, printed, never fetched
    for path in ("img.png", "s.png", "a.css", "f.woff", "b.png", "c.png", "v.png", "l.css", "frame", "/o", "/e", "i.png"):
        assert f"{port}/{path.lstrip('/')}" not in html


def test_04_remote_image_is_a_check_error(tmp_path):
    root = write(
        tmp_path / "c",
        {"lessons/a/en.md": lesson('![tracker](https://evil.example/t.gif)\n\n<img src="https://evil.example/p.gif" alt="pixel">\n')},
    )
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1 and "image 'https://evil.example/t.gif' is not a file in the lesson folder" in result.output
    assert "image 'https://evil.example/p.gif' is not a file in the lesson folder" in result.output


# 5 — tracking or remote resource in HTML output
def test_05_sanitiser_removes_remote_resources_and_csp_blocks_the_rest(tmp_path):
    hostile = '<iframe src="https://t.example"></iframe><img srcset="https://t.example/a.png 2x"><video poster="https://t.example/p.png"></video><link rel="dns-prefetch" href="https://t.example"><audio src="https://t.example/a.mp3"></audio>'
    clean = render_markdown(hostile, resolver)
    assert "t.example" not in clean
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(hostile + "\n")})
    assert build(root, tmp_path / "out").exit_code == 0
    for name in ("handout.html", "slides.html"):
        html = (tmp_path / "out/p/en" / name).read_text()
        assert "t.example" not in html
        assert "default-src 'none'" in html


# 6 — script in slides or HTML handout
@pytest.mark.parametrize(
    "hostile",
    [
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD4=)",
        "<script>alert(1)</script>",
        '<a href="java&#x09;script:alert(1)">x</a>',
        'Text\n{: onmouseover="alert(1)" style="background:url(https://t.example)" }',
        "<svg onload=alert(1)>",
        "<details open ontoggle=alert(1)>",
    ],
)
def test_06_no_script_survives(hostile):
    clean = render_markdown(hostile, resolver).lower()
    assert "<script" not in clean and "javascript:" not in clean and "data:" not in clean
    assert not re.search(r"<[^>]+\son\w+\s*=", clean)
    assert not re.search(r"href=\"(?!https?:|mailto:|#)", clean)


def test_06_slides_deck_runs_only_its_own_script(tmp_path):
    body = '::: slides\n## Hello\n- <a href="#x" onclick="alert(1)">x</a> <span onmouseover="alert(1)">y</span>\n- [x](javascript:alert(1))\n\n::: notes\n<script>alert(2)</script>\n:::\n:::\n'
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body)})
    assert build(root, tmp_path / "out", "--format", "slides").exit_code == 0
    html = (tmp_path / "out/p/en/slides.html").read_text()
    assert html.count("<script") == 1 and "alert(" not in html and "javascript:" not in html


# 7 — navigation tags
def test_07_navigation_tags_are_dropped(tmp_path):
    body = '<base href="https://evil.example/">\n<meta http-equiv="refresh" content="0;url=https://evil.example">\n<form action="https://evil.example"><input name=q></form>\n'
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body)})
    assert build(root, tmp_path / "out").exit_code == 0
    html = (tmp_path / "out/p/en/handout.html").read_text()
    assert "evil.example" not in html
    assert html.count("<base") == 0 and html.count('http-equiv="refresh"') == 0 and "<form" not in html
    assert "base-uri 'none'" in html and "form-action 'none'" in html


# 8 — CSS layout bomb
def test_08_content_styles_are_dropped(tmp_path):
    body = '<p style="font-size:1e9px">big</p>\n<style>@page { size: 1000000in } body { font-size: 1e9px }</style>\n'
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body)})
    result = build(root, tmp_path / "out", "--format", "handout")
    assert result.exit_code == 0
    page = PdfReader(tmp_path / "out/p/en/handout.pdf").pages[0]
    assert round(float(page.mediabox.width)) == 595
    assert "1e9px" not in (tmp_path / "out/p/en/handout.html").read_text()


def test_08_rendering_has_a_time_budget(monkeypatch):
    from trainkit.pdf.document import WholeDocument
    from trainkit.pdf.pool import RenderPool, WholeJob

    monkeypatch.setenv("TRAINKIT_TIME_BUDGET", "4")
    monkeypatch.setenv("TRAINKIT_TEST_STALL_LESSON", "slow")  # this lesson never finishes (pdf/pool.py)
    pool = RenderPool(1)
    results = []
    slow = WholeDocument(html='<html><body><article class="lesson" id="lesson-slow"><p>slow</p></article></body></html>', lessons=("slow",))
    fast = WholeDocument(html="<p>fine</p>", lessons=("fast",))
    jobs = [WholeJob(key=key, lessons_root="/nonexistent", document=document) for key, document in (("slow", slow), ("fast", fast))]
    pool.render(jobs, results.append)
    pool.close()
    by_key = {r.key: r for r in results}
    assert [f.message for f in by_key["slow"].failures] == ["rendering took longer than the budget of 4 s"]
    assert by_key["fast"].ok and by_key["fast"].pdf.startswith(b"%PDF")


def test_08_over_budget_pack_fails_alone_naming_its_lessons(tmp_path):
    files = {
        "lessons/a/en.md": lesson("A lesson that stalls.\n"),
        "profiles/q.yml": "title: Q\naudiences: [whrd]\ninclude: [b]\n",
    }
    files["lessons/b/en.md"] = lesson("A light lesson.\n", title="Light").replace("audiences: [journalist]", "audiences: [whrd]")
    root = write(tmp_path / "c", files)
    env = {"TRAINKIT_TIME_BUDGET": "8", "TRAINKIT_TEST_STALL_LESSON": "a"}
    result = build(root, tmp_path / "out", "--format", "handout", env=env)
    assert result.exit_code == 1
    # Laid out lesson by lesson, the failure names the stalled lesson's file.
    assert "lessons/a/en.md: p/en/handout.pdf: lesson 'a': rendering took longer than the budget of 8 s" in result.output
    assert "q/en: built" in result.output and (tmp_path / "out/q/en/handout.pdf").exists()


# 9 — device file, FIFO or huge file in a lesson folder
@pytest.mark.timeout(60)  # a blocking FIFO read would hang: fail instead
def test_09_fifo_huge_and_fake_images_are_refused(tmp_path):
    root = write(
        tmp_path / "c",
        {"lessons/a/en.md": lesson("![a](a.png)\n\n![b](b.png)\n\n![c](c.png)\n"), "lessons/a/c.png": b"%!PS-Adobe-3.0 EPSF-3.0\n"},
    )
    os.mkfifo(root / "lessons/a/a.png")
    with open(root / "lessons/a/b.png", "wb") as handle:
        handle.truncate(3 * 1024 * 1024 * 1024)  # a sparse 3 GB "png"
    started = time.time()
    result = run("--curriculum", root, "check")
    assert time.time() - started < 10  # never blocks on the FIFO, never reads 3 GB
    assert result.exit_code == 1
    assert "image 'a.png' is refused: not a regular file" in result.output
    assert "image 'b.png' is refused: file is 3,221,225,472 bytes" in result.output
    assert "image 'c.png' is refused: 'c.png' does not contain PNG data" in result.output


# 10 — image decoder bomb or dangerous format
def test_10_decompression_bomb_is_refused(tmp_path):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)) + chunk(b"IEND", b"")
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![bomb](bomb.png)\n"), "lessons/a/bomb.png": png})
    result = run("--curriculum", root, "check")
    assert "'bomb.png' is 60000×60000 pixels" in result.output and result.exit_code == 1


# 11 — SVG as a carrier
@pytest.mark.parametrize(
    "svg",
    [
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="https://evil.example/a.svg#x"/></svg>',
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/p)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    ],
)
def test_11_svg_with_external_reference_or_dtd_is_refused(tmp_path, svg):
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![diagram](d.svg)\n"), "lessons/a/d.svg": svg})
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1 and "image 'd.svg' is refused" in result.output


def test_11_clean_svg_is_accepted(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="10" height="10"/><use href="#g"/></svg>'
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson("![diagram](d.svg)\n"), "lessons/a/d.svg": svg})
    assert run("--curriculum", root, "check").exit_code == 0


# 12 — YAML alias bomb, unsafe tags
def test_12_alias_bomb_and_tags_fail_fast(tmp_path):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    root = write(
        tmp_path / "c",
        {
            "lessons/a/en.md": "---\n" + bomb + "---\nBody\n",
            "lessons/b/en.md": "---\ntitle: !!python/object/apply:os.system [echo pwned]\n---\n",
        },
    )
    started = time.time()
    result = run("--curriculum", root, "check")
    assert time.time() - started < 5
    assert "lessons/a/en.md:2: anchors (&name) are not allowed" in result.output
    assert "lessons/b/en.md:2: YAML tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed" in result.output


# 13 — YAML type confusion and duplicate keys
def test_13_literal_values_duplicates_and_comment_truncation(tmp_path):
    source = lesson("Body.\n").replace("title: Hostile lesson", "title: Part #2\ntitle: Again")
    root = write(tmp_path / "c", {"curriculum.yml": "title: T\nsource_language: en\nlanguages: [en, no]\n", "lessons/a/en.md": source})
    result = run("--curriculum", root, "check")
    assert "lessons/a/en.md:3: duplicate key 'title' (first set on line 2)" in result.output
    assert "warning: the value 'Part' ends where ' #' starts a comment" in result.output
    assert "'no'" not in result.output and "False" not in result.output  # Norwegian stays a language


# 14 — template injection
def test_14_template_syntax_in_a_lesson_is_printed_literally(tmp_path):
    body = "{{ cycler.__init__.__globals__.os.popen('id').read() }} and {% include '/etc/passwd' %} and {{ 7*7 }}\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body, title="'{{ 7*7 }}'")})
    assert build(root, tmp_path / "out", "--format", "handout").exit_code == 0
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "out/p/en/handout.pdf").pages)
    assert "{{ 7*7 }}" in text and "{% include '/etc/passwd' %}" in text and "49" not in text.replace("2049", "")
    assert "root:" not in text


# 15 — front-matter value escaping its context
def test_15_front_matter_is_escaped(tmp_path):
    hostile = '"</title><script>alert(1)</script>"'
    source = lesson("Body.\n", title=hostile).replace("reviewed:", f"materials: [{hostile}]\ntools: [{hostile}]\nreviewed:")
    profile = f"title: {hostile}\naudiences: [journalist]\n"
    glossary = f"x:\n  term: {hostile}\n  definition: {hostile}\n  lessons: [a]\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": source, "profiles/p.yml": profile, "glossary/en.yml": glossary})
    assert build(root, tmp_path / "out").exit_code == 0
    for name in ("handout.html", "slides.html"):
        html = (tmp_path / "out/p/en" / name).read_text()
        assert "<script>alert(1)" not in html and "&lt;/title&gt;&lt;script&gt;" in html


# 16 — build path or identity leak
def test_16_no_path_user_or_host_in_any_output(tmp_path):
    secret_dir = tmp_path / "alice-private-folder"
    body = "[relative](../other/page.md) and [abs](/home/alice/notes.txt) and [file](file:///home/alice/x)\n\n<meta name=author content=alice>\n"
    root = write(secret_dir / "c", {"lessons/a/en.md": lesson(body)})
    assert build(root, secret_dir / "out").exit_code == 0
    data = all_bytes(secret_dir / "out" / "p")
    leaks = [str(secret_dir), "alice-private-folder", "file:", "/home/alice", getpass.getuser() + "@"]
    leaks += [socket.gethostname()] if len(socket.gethostname()) >= 5 else []
    for leak in leaks:
        assert leak.encode() not in data, leak
    info = PdfReader(secret_dir / "out/p/en/handout.pdf").metadata
    assert set(info) <= {"/Title", "/Producer", "/Creator", "/Lang", "/CreationDate", "/ModDate"} and "/Author" not in info


# 17 — malicious change in a translation
def test_17_translation_may_not_swap_or_add_links(tmp_path):
    source = lesson("Get [Signal](https://signal.org/download/).\n")
    swapped = translation(source, "Descarga [Signal](https://signal-download.example/).\n\n[más](https://evil.example/)\n")
    root = write(tmp_path / "c", {"lessons/a/en.md": source, "lessons/a/es.md": swapped})
    result = run("--curriculum", root, "check")
    assert result.exit_code == 1
    assert "lessons/a/es.md:6: link 'https://signal-download.example/' is not in the source lesson" in result.output
    assert "lessons/a/es.md:8: link 'https://evil.example/' is not in the source lesson" in result.output
    assert "the source has the link 'https://signal.org/download/', which this translation lacks" in result.output


def test_17_reviewed_local_equivalent_is_allowed(tmp_path):
    source = lesson("Read [the guide](https://example.org/guide).\n")
    local = translation(source, "Lee [la guía](https://example.org/es/guia).\n")
    meta = "title: T\nsource_language: en\nlanguages: [en, es]\nlink_equivalents:\n  https://example.org/guide: [https://example.org/es/guia]\n"
    root = write(tmp_path / "c", {"curriculum.yml": meta, "lessons/a/en.md": source, "lessons/a/es.md": local})
    assert run("--curriculum", root, "check").exit_code == 0


# 18 — visual link spoofing
def test_18_print_shows_the_real_address_and_bidi_controls_are_flagged(tmp_path):
    body = "Download from [https://signal.org](https://signal.example.net/get) today.\n\nSee exe.\u202egnp.\n"
    root = write(tmp_path / "c", {"lessons/a/en.md": lesson(body)})
    result = build(root, tmp_path / "out", "--format", "handout")
    assert result.exit_code == 0
    assert "bidirectional control characters in left-to-right text" in run("--curriculum", root, "check").output
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "out/p/en/handout.pdf").pages)
    assert "signal.example.net/get" in text


# 19 — output path traversal
def test_19_ids_cannot_escape_the_output_folder(tmp_path):
    root = write(
        tmp_path / "c",
        {
            "lessons/a/en.md": lesson("Body.\n"),
            "lessons/Bad..Name/en.md": lesson("x"),
            "profiles/..evil.yml": "title: X\naudiences: [journalist]\n",
        },
    )
    result = run("--curriculum", root, "check")
    assert "'Bad..Name' is not a valid lesson id" in result.output and "is not a valid profile id" in result.output
    assert run("--curriculum", root, "build", "--out", tmp_path / "out", "--profile", "../../etc").exit_code in (1, 2)
    assert run("--curriculum", root, "new", "lesson", "../../.config/autostart/x").exit_code == 2
    assert not (tmp_path / "etc").exists() and not list(tmp_path.glob("**/autostart"))
