"""Handouts and guides laid out in parts (pdf/parts.py), read back as a reader would meet them:
the contents' page numbers and links, the footers, the bookmarks and the fonts of the
assembled PDF; and the part cache: shared lessons laid out once, edits laying out only
what changed, damaged parts laid out again."""

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from support import EPOCH, lesson, write_tree
from support import build as run_build

WORDS = "phone message account password key lock screen backup contact source team risk plan update".split()


def long_lesson(title: str, sections: int, prerequisites: str = "") -> str:
    """A lesson several pages long, so page numbers and links are not trivially 1, 2, 3."""
    text = []
    for n in range(sections):
        sentences = " ".join(f"{WORDS[(n + i) % len(WORDS)].capitalize()} {' '.join(WORDS[: 8 + i % 5])}." for i in range(40))
        text.append(f"## {title} section {n + 1}\n\n{sentences}\n")
    body = "\n".join(text) + "\n::: checklist\n- Do the first thing.\n:::\n"
    return lesson(body, title, summary="A long lesson.", prerequisites=prerequisites)


def build(curriculum: Path, out: Path, *args: str):  # type: ignore[no-untyped-def]
    result = run_build(curriculum, out, *args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def long_pack(tmp_path_factory):
    root = write_tree(
        tmp_path_factory.mktemp("long") / "c",
        {
            "curriculum.yml": "title: Long curriculum\nsource_language: en\nlanguages: [en]\n",
            "profiles/reporters.yml": "title: Reporters\naudiences: [journalist]\n",
            "lessons/first/en.md": long_lesson("First lesson", 6),
            "lessons/second/en.md": long_lesson("Second lesson", 9, "first"),
            "lessons/third/en.md": long_lesson("Third lesson", 4, "second"),
        },
    )
    out = root.parent / "out"
    build(root, out)
    return root, out


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark, in order."""
    found = []

    def walk(items, depth):  # type: ignore[no-untyped-def]
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


def starts(reader: PdfReader) -> dict[str, int]:
    """Top-level bookmark title → its 1-based page number."""
    return {title: page + 1 for depth, title, page in outline(reader) if depth == 0}


def test_contents_numbers_are_the_pages_where_lessons_start(long_pack):
    _, out = long_pack
    reader = PdfReader(out / "reporters/en/handout.pdf")
    pages = starts(reader)
    assert pages["Third lesson"] > 8  # long lessons: the numbers mean something
    contents = reader.pages[1].extract_text()
    for title in ("First lesson", "Second lesson", "Third lesson", "After the workshop"):
        number = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", contents, re.M)
        assert number, contents
        assert int(number.group(1)) == pages[title]
        assert title in reader.pages[pages[title] - 1].extract_text().split("\n")[0]


def test_contents_links_go_to_those_pages(long_pack):
    _, out = long_pack
    reader = PdfReader(out / "reporters/en/handout.pdf")
    index = {page.indirect_reference.idnum: number for number, page in enumerate(reader.pages, start=1)}
    targets = set()
    for annotation in reader.pages[1].get("/Annots", []):
        annotation = annotation.get_object()
        assert "/A" not in annotation or not str(annotation["/A"].get("/URI", "")).startswith("trainkit:")
        targets.add(index[annotation["/Dest"][0].idnum])
    pages = starts(reader)
    assert targets == {pages[t] for t in ("First lesson", "Second lesson", "Third lesson", "After the workshop")}


def test_every_page_but_the_cover_has_its_footer(long_pack):
    _, out = long_pack
    reader = PdfReader(out / "reporters/en/handout.pdf")
    total = len(reader.pages)
    assert "Page 1 of" not in reader.pages[0].extract_text()
    for number, page in enumerate(reader.pages[1:], start=2):
        text = page.extract_text()
        assert f"Page {number} of {total}" in text and "Reporters" in text


def test_bookmarks_keep_their_order_and_depth(long_pack):
    _, out = long_pack
    marks = outline(PdfReader(out / "reporters/en/handout.pdf"))
    assert [t for d, t, _ in marks if d == 0] == ["Contents", "First lesson", "Second lesson", "Third lesson", "After the workshop"]
    sections = [t for d, t, _ in marks if d == 1]
    assert sections[:2] == ["First lesson section 1", "First lesson section 2"] and len(sections) == 6 + 9 + 4
    assert "In this lesson you will" not in [t for _, t, _ in marks]


def test_each_face_is_embedded_once(long_pack):
    _, out = long_pack
    reader = PdfReader(out / "reporters/en/handout.pdf")
    programs: dict[str, set[int]] = {}
    for page in reader.pages:
        for font in page["/Resources"].get_object().get("/Font", {}).values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            programs.setdefault(str(font["/BaseFont"]), set()).add(descriptor.raw_get("/FontFile2").idnum)
    assert programs and all(len(ids) == 1 for ids in programs.values()), programs


def test_guide_agenda_links_point_at_the_lessons(long_pack):
    _, out = long_pack
    reader = PdfReader(out / "reporters/en/guide.pdf")
    pages = starts(reader)
    index = {page.indirect_reference.idnum: number for number, page in enumerate(reader.pages, start=1)}
    agenda = pages["Agenda"] - 1
    targets = {index[a.get_object()["/Dest"][0].idnum] for a in reader.pages[agenda].get("/Annots", [])}
    assert targets == {pages["First lesson"], pages["Second lesson"], pages["Third lesson"]}


def parts_line(output: str) -> tuple[int, int]:
    match = re.search(r"^Lessons laid out: (\d+); reused from earlier builds: (\d+)$", output, re.M)
    assert match, output
    return int(match.group(1)), int(match.group(2))


def test_a_lesson_two_profiles_share_is_laid_out_once(tmp_path):
    files = {
        "curriculum.yml": "title: Shared\nsource_language: en\nlanguages: [en]\n",
        "profiles/a.yml": "title: A\naudiences: [journalist]\n",
        "profiles/b.yml": "title: B\naudiences: [journalist]\nexclude: [two]\n",
        "lessons/one/en.md": long_lesson("One", 2),
        "lessons/two/en.md": long_lesson("Two", 2),
    }
    root = write_tree(tmp_path / "c", files)
    first = build(root, tmp_path / "out", "--profile", "a", "--format", "handout")
    # a: one, two and its "After the workshop" part.
    assert parts_line(first.output) == (3, 0)
    second = build(root, tmp_path / "out", "--profile", "b", "--format", "handout")
    # b: lesson one is the same part as in a; only its own back part is new.
    assert parts_line(second.output) == (1, 1)
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "out/b/en/handout.pdf").pages)
    assert "One section 2" in text and "Two section 1" not in text


def test_an_edit_lays_out_only_the_edited_lesson(long_pack, tmp_path):
    import shutil

    root, out = long_pack
    root = Path(shutil.copytree(root, tmp_path / "c"))
    out = Path(shutil.copytree(out, tmp_path / "out"))
    second = root / "lessons/second/en.md"
    second.write_text(second.read_text().replace("## Second lesson section 3", "## Second lesson section 3, corrected"))
    result = build(root, out)
    # The handout shows the edited text and the guide does not: one new part, and the
    # handout's three others (first, third, its back) come from the cache.
    assert parts_line(result.output) == (1, 3)
    reader = PdfReader(out / "reporters/en/handout.pdf")
    assert "Second lesson section 3, corrected" in "".join(p.extract_text() for p in reader.pages)
    assert [t for d, t, _ in outline(reader) if d == 1][6 + 2] == "Second lesson section 3, corrected"


def test_damaged_parts_are_laid_out_again(long_pack, tmp_path):
    import shutil

    root, out = long_pack
    root = Path(shutil.copytree(root, tmp_path / "c"))
    out = Path(shutil.copytree(out, tmp_path / "out"))
    for part in (out / ".cache/parts").iterdir():
        part.write_bytes(b"%PDF-1.7\nnot a PDF at all\n%%EOF\n")  # passes the quick check, fails to read
    first = root / "lessons/first/en.md"
    first.write_text(first.read_text().replace("summary: A long lesson.", "summary: A long lesson, edited."))
    build(root, out)
    text = "".join(p.extract_text() for p in PdfReader(out / "reporters/en/handout.pdf").pages)
    assert "A long lesson, edited." in text and "Third lesson section 4" in text


def test_the_cache_forgets_parts_no_build_used_for_a_month(long_pack, tmp_path):
    import os
    import shutil
    import time

    root, out = long_pack
    out = Path(shutil.copytree(out, tmp_path / "out"))
    parts = out / ".cache/parts"
    month_ago = time.time() - 31 * 86400
    old = parts / ("0" * 64 + ".pdf")
    old.write_bytes(b"%PDF-1.7\n%%EOF\n")
    for part in parts.iterdir():
        os.utime(part, (month_ago, month_ago))
    build(root, out)  # a full build that changes nothing: the parts of what it publishes are refreshed
    assert not old.exists()
    # Kept: each lesson's part of the handout and the guide, and the handout's back (3 + 3 + 1);
    # fronts and footer overlays not used for a month are cheap to make again.
    assert len(list(parts.iterdir())) == 7
    (out / "reporters/en/handout.pdf").unlink()
    again = build(root, out)
    assert parts_line(again.output) == (0, 4)


def single_render(long_pack) -> tuple[bytes, int]:  # type: ignore[no-untyped-def]
    """The reporters handout as WeasyPrint renders the whole document in one go."""
    from trainkit.pdf.render import PdfWriter

    root, out = long_pack
    document, _ = planned_handout(root, out.parent / "unused")
    return PdfWriter(root / "lessons").render(document.whole_html())


def planned_handout(root, out, profile: str = "reporters", lang: str = "en"):  # type: ignore[no-untyped-def]
    """A pack's handout as the pack stage hands it to the PDF stage, and its part keys."""
    import datetime as dt

    from trainkit import pipeline
    from trainkit.model import Format
    from trainkit.pack import plan_pack

    options = pipeline.BuildOptions(curriculum=root, out=out, formats=(Format.HANDOUT,), source_date_epoch=EPOCH["SOURCE_DATE_EPOCH"])
    curriculum, _, _ = pipeline.prepare(options)
    requests = []
    plan_pack(curriculum, profile, lang, options, None, dt.date(2026, 1, 1), pipeline.environment_key(), submit=requests.append)
    request = next(r for r in requests if r.key.endswith("/handout.pdf"))
    return request.document, request.part_keys


def test_the_assembled_pdf_reads_like_a_single_render(long_pack):
    """Same pages, same text on each page (footers and contents numbers included) as
    WeasyPrint gives for the whole document in one go."""
    import io

    _, out = long_pack
    whole, pages = single_render(long_pack)
    single = PdfReader(io.BytesIO(whole))
    assembled = PdfReader(out / "reporters/en/handout.pdf")
    assert len(assembled.pages) == pages
    for mine, theirs in zip(assembled.pages, single.pages, strict=True):
        assert mine.extract_text().rstrip() == theirs.extract_text().rstrip()


def test_a_lesson_cannot_cut_the_document_with_what_was_once_a_part_mark(tmp_path):
    """Parts are made one per lesson by the templates, never cut out of one string, so the
    comment that once marked them means nothing: the sanitiser drops it from lesson HTML,
    and in code it is text. The lesson stays one part and keeps all its own text."""
    mark = "<!--trainkit:part-->"
    body = f"Before the mark. {mark} After the mark.\n\n`{mark}`\n\n```\n{mark}\n```\n"
    files = {
        "curriculum.yml": "title: Marks\nsource_language: en\nlanguages: [en]\n",
        "profiles/a.yml": "title: A\naudiences: [journalist]\n",
        "lessons/one/en.md": long_lesson("One", 1).replace("## One section 1", body + "\n## One section 1"),
    }
    root = write_tree(tmp_path / "c", files)
    result = build(root, tmp_path / "out", "--format", "handout")
    assert parts_line(result.output) == (2, 0)  # the lesson and the back, nothing more
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "out/a/en/handout.pdf").pages)
    assert "Before the mark." in text and "After the mark." in text and text.count(mark) == 2


def test_fonts_that_cannot_be_merged_stay_per_part_and_the_pdf_is_whole(long_pack, tmp_path, monkeypatch):
    """Font sharing only ever saves bytes: where the parts' subsets cannot be merged, each
    part keeps its own and the document is still complete and correct."""
    import io

    from trainkit.pdf import fonts as fontshare
    from trainkit.pdf.parts import assemble

    document, keys, cache = _planned_and_cache(long_pack, tmp_path)
    shared, _ = assemble(document, keys, cache)
    monkeypatch.setattr(fontshare, "merge_programs", lambda programs: None)
    separate, pages = assemble(document, keys, cache)
    assert len(separate) > len(shared)
    reader = PdfReader(io.BytesIO(separate))
    assert len(reader.pages) == pages == len(PdfReader(io.BytesIO(shared)).pages)
    assert "Third lesson section 4" in "".join(p.extract_text() for p in reader.pages)


def _planned_and_cache(long_pack, tmp_path):  # type: ignore[no-untyped-def]
    from trainkit import pipeline
    from trainkit.pdf.parts import PartCache
    from trainkit.pdf.render import PdfWriter

    root, _ = long_pack
    document, keys = planned_handout(root, tmp_path / "out")
    return document, keys, PartCache(tmp_path / "parts", pipeline.environment_key(), PdfWriter(root / "lessons"))


def test_d16_a_footer_overlay_of_the_wrong_length_fails_the_document(long_pack, tmp_path, monkeypatch):
    from trainkit.pdf import parts as paged
    from trainkit.pdf.document import PagedDocument

    document, keys, cache = _planned_and_cache(long_pack, tmp_path)
    one_sheet = PagedDocument.overlay_html
    monkeypatch.setattr(PagedDocument, "overlay_html", lambda self, pages: one_sheet(self, 1))
    with pytest.raises(paged.AssemblyError, match=r"the footer overlay has 1 pages for a document of \d+"):
        paged.assemble(document, keys, cache)


def test_d16_contents_that_never_settle_fail_the_document(long_pack, tmp_path, monkeypatch):
    from trainkit.pdf import parts as paged
    from trainkit.pdf.document import PagedDocument

    document, keys, cache = _planned_and_cache(long_pack, tmp_path)
    grow = iter(range(1, 50))
    numbered = PagedDocument.front_html
    monkeypatch.setattr(
        PagedDocument,
        "front_html",
        lambda self, pages: numbered(self, pages).replace("</body>", "<p style='break-before: page'>x</p>" * next(grow) + "</body>"),
    )
    with pytest.raises(paged.AssemblyError, match="the contents pages never settled"):
        paged.assemble(document, keys, cache)


def test_d16_a_link_to_nowhere_fails_the_pack_naming_the_lesson(tmp_path):
    root = write_tree(
        tmp_path / "c",
        {
            "curriculum.yml": "title: T\nsource_language: en\nlanguages: [en]\n",
            "profiles/reporters.yml": "title: Reporters\naudiences: [journalist]\n",
            "lessons/first/en.md": long_lesson("First lesson", 2),
            "lessons/second/en.md": long_lesson("Second lesson", 2).replace(
                "\n::: checklist", "\nSee [the missing part](#nowhere-at-all).\n\n::: checklist"
            ),
        },
    )
    result = run_build(root, tmp_path / "out", "--format", "handout")
    assert result.exit_code == 1
    assert "a link in lesson 'second' points to '#nowhere-at-all', which is nowhere in this document" in result.output
    assert "lessons/second/en.md" in result.output


def test_the_assembled_pdf_looks_like_a_single_render_pixel_for_pixel(long_pack):
    """Text extraction reads ToUnicode, so it cannot see a wrong glyph outline drawn by a
    shared font; comparing rendered pixels (PDFium) can. Every page, at 60 dpi."""
    import pypdfium2
    from PIL import ImageChops

    _, out = long_pack
    whole, _ = single_render(long_pack)
    single = pypdfium2.PdfDocument(whole)
    assembled = pypdfium2.PdfDocument((out / "reporters/en/handout.pdf").read_bytes())
    assert len(single) == len(assembled)
    for number in range(len(single)):
        theirs = single[number].render(scale=60 / 72, grayscale=True).to_pil()
        mine = assembled[number].render(scale=60 / 72, grayscale=True).to_pil()
        histogram = ImageChops.difference(mine, theirs).histogram()
        changed = sum(histogram[65:])  # pixels whose gray level moved by more than a quarter
        assert changed <= 2, f"page {number + 1}: {changed} pixels differ"


ARABIC = (
    "تحقّق من العنوان قبل أن تكتب كلمة المرور: الصفحة *login-check.example* ليست صفحة بريدك، "
    "والعنوان `https://mail.example.org.login-check.example/` مزيّف. فعّل التحقق بخطوتين، "
    "واحفظ رموز الاسترداد في مكان آمن؛ لا تشاركها مع أحد، ولا حتى مع من يقول إنه من الدعم الفنّي."
)


def arabic_lesson(title: str, paragraphs: int, prerequisites: str = "") -> str:
    body = "\n\n".join(f"## {title} {n + 1}\n\n{ARABIC} {'ـ' * (n % 3)}" for n in range(paragraphs))
    return lesson(body + "\n", title, summary="درس طويل.", prerequisites=prerequisites)


def test_an_arabic_handout_looks_like_a_single_render_pixel_for_pixel(tmp_path):
    """Arabic fonts draw many glyphs from components, which WeasyPrint numbers differently in
    each part, and the Latin words in the text use italic and monospace faces: the shared
    font programs must draw every page as a single render does."""
    import pypdfium2
    from PIL import ImageChops

    from trainkit.pdf.render import PdfWriter

    root = write_tree(
        tmp_path / "c",
        {
            "curriculum.yml": "title: منهج\nsource_language: ar\nlanguages: [ar]\n",
            "profiles/reporters.yml": "title: الصحفيون\naudiences: [journalist]\n",
            "lessons/first/ar.md": arabic_lesson("الدرس الأول", 7),
            "lessons/second/ar.md": arabic_lesson("الدرس الثاني", 11, "first"),
            "lessons/third/ar.md": arabic_lesson("الدرس الثالث", 5, "second"),
        },
    )
    build(root, tmp_path / "out", "--format", "handout")
    document, _ = planned_handout(root, tmp_path / "unused", lang="ar")
    whole, _ = PdfWriter(root / "lessons").render(document.whole_html())
    single = pypdfium2.PdfDocument(whole)
    assembled = pypdfium2.PdfDocument((tmp_path / "out/reporters/ar/handout.pdf").read_bytes())
    assert len(single) == len(assembled) > 6
    for number in range(len(single)):
        theirs = single[number].render(scale=60 / 72, grayscale=True).to_pil()
        mine = assembled[number].render(scale=60 / 72, grayscale=True).to_pil()
        changed = sum(ImageChops.difference(mine, theirs).histogram()[65:])
        assert changed <= 2, f"page {number + 1}: {changed} pixels differ"


def test_footers_laid_out_by_another_worker_are_used_not_laid_out_again(long_pack, tmp_path, monkeypatch):
    """A FooterJob stores the overlay while another worker assembles; the assembly waits for
    that file and stamps it, and the PDF is the one an assembly alone makes."""
    import threading

    from trainkit.pdf import parts as paged

    document, keys, cache = _planned_and_cache(long_pack, tmp_path)
    alone, pages = paged.assemble(document, keys, cache)
    for stored in (tmp_path / "parts").iterdir():
        stored.unlink()
    for part, key in zip(document.parts, keys, strict=True):  # the parts, as the part jobs leave them
        cache.lay_out(key, document.part_html(part), document.style, part.lesson)
    overlay = document.overlay_html(pages)
    laid_out = []
    render = cache.writer.render
    monkeypatch.setattr(cache.writer, "render", lambda html, **kw: (laid_out.append(html == overlay), render(html, **kw))[1])
    # The footer job is still at work when the assembly reaches its footers, and finishes while it waits.
    footer_job = threading.Timer(
        0.3, paged.lay_out_footers, (document, pages, paged.PartCache(cache.folder, cache.environment, cache.writer))
    )
    wait_for = cache.wait_for
    monkeypatch.setattr(cache, "wait_for", lambda key, seconds: (footer_job.start(), wait_for(key, seconds)))
    together, _ = paged.assemble(document, keys, cache, footers_coming=pages)
    footer_job.join()
    assert together == alone
    assert laid_out.count(True) == 1  # by the footer job alone


def test_footers_that_never_come_are_laid_out_by_the_assembly(long_pack, tmp_path, monkeypatch):
    from trainkit.pdf import parts as paged

    document, keys, cache = _planned_and_cache(long_pack, tmp_path)
    alone, pages = paged.assemble(document, keys, cache)
    (tmp_path / "parts" / f"{cache.own_key(document.overlay_html(pages), '', tagged=False)}.pdf").unlink()
    monkeypatch.setattr(paged, "FOOTERS_WAIT", 0.2)  # the footer job failed: its file never appears
    assert paged.assemble(document, keys, cache, footers_coming=pages) == (alone, pages)


class RecordingPool:
    """Stands in for RenderPool: keeps what the scheduler sends, with `busy` jobs still running."""

    def __init__(self, jobs: int, busy: int = 0):
        self.jobs, self.busy, self.sent = jobs, busy, []

    def idle_workers(self) -> int:
        return max(0, self.jobs - self.busy)

    def submit(self, job) -> None:  # type: ignore[no-untyped-def]
        self.sent.append(job)


def _scheduled(long_pack, tmp_path, pool, documents: int):  # type: ignore[no-untyped-def]
    """Send `documents` copies of the handout (under different names) through a Scheduler and
    report every part laid out with 3 pages; what the pool was sent after the parts."""
    from dataclasses import replace

    from trainkit.pdf.pool import PartJob, Rendered
    from trainkit.pdf.scheduler import PdfRequest, Scheduler

    root, _ = long_pack
    document, keys = planned_handout(root, tmp_path / "out")
    scheduler = Scheduler(pool, tmp_path / "parts", root / "lessons", lambda _: None)
    for n in range(documents):
        scheduler.submit(PdfRequest(key=f"p{n}/en/handout.pdf", document=replace(document), part_keys=keys))
    parts = [job for job in pool.sent if isinstance(job, PartJob)]
    assert len(parts) == len(keys)  # shared by every copy: laid out once
    pool.sent.clear()
    for job in parts:
        scheduler._done(Rendered(key=job.key, pages=3))
    return pool.sent, 2 + 3 * len(keys)


def test_a_worker_left_idle_lays_the_footers_out_while_another_assembles(long_pack, tmp_path):
    from trainkit.pdf.pool import AssemblyJob, FooterJob

    sent, pages = _scheduled(long_pack, tmp_path, RecordingPool(jobs=2), documents=1)
    assert [type(job) for job in sent] == [FooterJob, AssemblyJob]  # the footers first: they start no later
    assert sent[0].pages == sent[1].footers_coming == pages


def test_no_footer_job_when_every_worker_has_an_assembly_to_do(long_pack, tmp_path):
    from trainkit.pdf.pool import AssemblyJob

    # Two documents ready at once for two workers, or one while the other worker is busy:
    # splitting would only make an assembly wait for its footers.
    for pool, documents in ((RecordingPool(jobs=2), 2), (RecordingPool(jobs=2, busy=1), 1), (RecordingPool(jobs=1), 1)):
        sent, _ = _scheduled(long_pack, tmp_path, pool, documents)
        assert [type(job) for job in sent] == [AssemblyJob] * documents
        assert all(job.footers_coming == 0 for job in sent)
