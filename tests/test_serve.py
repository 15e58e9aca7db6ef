"""`trainkit serve`, in process: the guard, the JSON API, the planner, previews, zips and translations.

The app is driven through Flask's test client on the mini curriculum; what it answers is
compared with what the command line gives for the same input (list --json, build,
build --workshop, build --zip). test_serve_http.py runs the real server in a subprocess.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES
from support import EPOCH, build, run

from trainkit.serve.app import create_app
from trainkit.serve.guard import Guard, plain_path
from trainkit.serve.workbench import Workbench

PORT = 5123
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A workbench on a copy of the mini curriculum, a workshops folder and an output folder."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    root = tmp_path / "curriculum"
    shutil.copytree(FIXTURES / "mini", root)
    workshops = tmp_path / "workshops"
    workshops.mkdir()
    (workshops / "spring.yml").write_text("profile: whrd\ntitle: Spring school\ndate: 2026-03-02\n", encoding="utf-8")
    workbench = Workbench(root, workshops, tmp_path / "out", jobs=1)
    workbench.reload()
    guard = Guard("127.0.0.1", PORT)
    app = create_app(workbench, guard)
    client = app.test_client()
    yield workbench, guard, client
    workbench.stop()


def token_headers(guard: Guard, **extra: str) -> dict[str, str]:
    return {"X-Trainkit-Token": guard.token, **extra}


# --- the guard -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example:5123", "127.0.0.1:5124", "attacker.test", "", "127.0.0.1.nip.io:5123"])
def test_a_foreign_host_is_refused(bench, host: str) -> None:  # type: ignore[no-untyped-def]
    _, _, client = bench
    response = client.get("/api/lessons", base_url=BASE, headers={"Host": host})
    assert response.status_code == 421
    assert "own address" in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["put", "post", "delete", "patch"])
def test_changes_without_the_session_token_are_refused(bench, method: str) -> None:  # type: ignore[no-untyped-def]
    workbench, guard, client = bench
    call = getattr(client, method)
    for headers in ({}, {"X-Trainkit-Token": "guessed"}, {"X-Trainkit-Token": guard.token[:-1]}):
        response = call("/api/workshops/autumn", base_url=BASE, json={"profile": "whrd"}, headers=headers)
        assert response.status_code == 403
    assert not (workbench.workshops / "autumn.yml").exists()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", f"http://127.0.0.1:{PORT + 1}", f"https://127.0.0.1:{PORT}"])
def test_a_foreign_origin_is_refused_even_with_the_token(bench, origin: str) -> None:  # type: ignore[no-untyped-def]
    workbench, guard, client = bench
    response = client.put("/api/workshops/autumn", base_url=BASE, json={"profile": "whrd"}, headers=token_headers(guard, Origin=origin))
    assert response.status_code == 403
    assert not (workbench.workshops / "autumn.yml").exists()
    assert client.get("/api/lessons", base_url=BASE, headers={"Origin": origin}).status_code == 403


def test_the_own_origin_with_the_token_is_accepted(bench) -> None:  # type: ignore[no-untyped-def]
    workbench, guard, client = bench
    response = client.put(
        "/api/workshops/autumn", base_url=BASE, json={"profile": "whrd"}, headers=token_headers(guard, Origin=f"http://127.0.0.1:{PORT}")
    )
    assert response.status_code == 200, response.get_json()
    assert (workbench.workshops / "autumn.yml").is_file()


@pytest.mark.parametrize(
    "path",
    [
        "/api/workshops/..%2fsecret",
        "/api/workshops/..%2F..%2Fetc%2Fpasswd",
        "/api/workshops/a%5cb",
        "/lessons/%2e%2e",
        "/preview/profile/..%2f..%2fetc/en/handout.html",
        "/packs/..%2fwhrd/en.zip",
        "/api/workshops/Spring",
        "/api/workshops/spring.yml",
        "/files/whrd/en/..%2f..%2fcurriculum.yml",
    ],
)
def test_a_path_in_an_id_is_refused(bench, path: str) -> None:  # type: ignore[no-untyped-def]
    _, _, client = bench
    response = client.get(path, base_url=BASE)
    assert response.status_code in (400, 404), path
    assert response.status_code == 400 or "no " in response.get_data(as_text=True)


def test_a_path_in_a_saved_workshop_name_is_refused(bench) -> None:  # type: ignore[no-untyped-def]
    workbench, guard, client = bench
    for name in ("..%2fevil", "a%2fb", "UPPER", "dot.name"):
        response = client.put(f"/api/workshops/{name}", base_url=BASE, json={"profile": "whrd"}, headers=token_headers(guard))
        assert response.status_code == 400, name
    assert sorted(p.name for p in workbench.workshops.iterdir()) == ["spring.yml"]
    assert not (workbench.workshops.parent / "evil.yml").exists()


def test_plain_path_rules() -> None:
    assert plain_path("/api/workshops/spring-2027")
    assert plain_path("/preview/profile/whrd/ar/handout.html?g=3")
    for raw in ("/a/../b", "/a/./b", "/a%2fb", "/a%2Fb", "/a%5cb", "/a\\b", "/a%00", "/%2e%2e/x"):
        assert not plain_path(raw), raw


def test_every_response_has_a_policy_with_no_remote_source(bench) -> None:  # type: ignore[no-untyped-def]
    _, _, client = bench
    for path in ("/lessons", "/plan", "/preview", "/translations", "/api/lessons", "/preview/profile/whrd/en/slides.html", "/nothing"):
        response = client.get(path, base_url=BASE)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "http:" not in policy and "https:" not in policy and "*" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_pages_reference_no_remote_asset(bench) -> None:  # type: ignore[no-untyped-def]
    from html.parser import HTMLParser

    _, _, client = bench

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.urls: list[str] = []

        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            # what the browser fetches by itself: src of any element, href of <link>, form actions
            self.urls += [v for k, v in attrs if (k in ("src", "action") or (k == "href" and tag == "link")) and v]

    for path in ("/lessons", "/lessons/alpha", "/plan", "/preview", "/translations"):
        response = client.get(path, base_url=BASE)
        assert response.status_code == 200, path
        parser = Links()
        parser.feed(response.get_data(as_text=True))
        assert parser.urls, path
        for url in parser.urls:
            assert url.startswith(("/", "#", "data:")), (path, url)


# --- the API matches the command line --------------------------------------------------------


def test_api_lessons_and_profiles_are_what_list_json_gives(bench) -> None:  # type: ignore[no-untyped-def]
    workbench, _, client = bench
    lessons = client.get("/api/lessons", base_url=BASE).get_json()
    profiles = client.get("/api/profiles", base_url=BASE).get_json()
    assert lessons == json.loads(run("--curriculum", workbench.root, "list", "lessons", "--json").output)
    assert profiles == json.loads(run("--curriculum", workbench.root, "list", "profiles", "--json").output)
    assert client.get("/api/workshops", base_url=BASE).get_json() == ["spring"]


def test_opening_a_workshop_gives_its_values_and_plan(bench) -> None:  # type: ignore[no-untyped-def]
    _, _, client = bench
    answer = client.get("/api/workshops/spring", base_url=BASE).get_json()
    assert answer["values"]["profile"] == "whrd"
    assert answer["values"]["title"] == "Spring school"
    plan = answer["plan"]
    assert [lesson["id"] for lesson in plan["lessons"]] == ["alpha", "gamma"]
    assert plan["total_minutes"] == 70
    assert plan["days"][0]["date"] == "2026-03-02"
    assert [(s["kind"], s["start"], s["end"]) for s in plan["days"][0]["slots"]] == [
        ("lesson", "09:00", "09:30"),
        ("lesson", "09:30", "10:10"),
    ]
    assert {"kind": "pulled-in", "lesson": "alpha", "by": ["gamma"]} in plan["notes"]
    assert client.get("/api/workshops/nobody", base_url=BASE).status_code == 404


def test_saving_writes_the_file_build_reads(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workbench, guard, client = bench
    values = {
        "profile": "whrd",
        "title": "Taller: sí, no",
        "date": "2026-06-01",
        "place": "Sala 2\nsecond line",
        "start": "10:00",
        "end": "16:00",
        "break_every": 30,
        "break_minutes": 10,
        "lunch_at": "13:00",
        "lunch_minutes": 45,
        "days": 1,
        "add": ["beta"],
        "drop": [],
        "order": ["beta", "gamma"],
        "time_budget": 200,
    }
    response = client.put("/api/workshops/summer-2026", base_url=BASE, json=values, headers=token_headers(guard))
    assert response.status_code == 200, response.get_json()
    saved = workbench.workshops / "summer-2026.yml"
    text = saved.read_text(encoding="utf-8")
    assert "trainkit build --workshop summer-2026" in text
    plan = response.get_json()["plan"]
    # beta was put first, but it builds on alpha: alpha moves up with it, and the planner says why
    assert [lesson["id"] for lesson in plan["lessons"]] == ["alpha", "beta", "gamma"]
    slots = plan["days"][0]["slots"]
    assert [s["kind"] for s in slots] == ["lesson", "break", "lesson", "break", "lesson"]
    assert slots[1]["start"] == "10:30" and slots[2]["start"] == "10:40"
    # the command line builds it, in the same order
    out = tmp_path / "built"
    result = build(workbench.root, out, "--workshop", saved, "--lang", "en", "--format", "slides")
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "whrd" / "en" / "manifest.json").read_text())
    assert [lesson["id"] for lesson in manifest["lessons"]] == ["alpha", "beta", "gamma"]
    assert manifest["workshop"]["title"] == "Taller: sí, no"
    assert manifest["workshop"]["place"] == "Sala 2 second line"
    # and opening it again gives the same values
    reopened = client.get("/api/workshops/summer-2026", base_url=BASE).get_json()["values"]
    assert reopened["order"] == ["beta", "gamma"] and reopened["add"] == ["beta"] and reopened["break_every"] == 30


def test_invalid_values_get_the_builds_message_next_to_the_field(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workbench, guard, client = bench
    values = {"profile": "whrd", "add": ["betta"], "lunch_minutes": "lots", "date": "2026-02-30"}
    response = client.put("/api/workshops/broken", base_url=BASE, json=values, headers=token_headers(guard))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) >= {"add", "lunch_minutes", "date"}
    assert not (workbench.workshops / "broken.yml").exists()
    # the same file given to build gives the same messages
    path = tmp_path / "broken.yml"
    path.write_text(response.get_json()["plan"]["text"], encoding="utf-8")
    result = build(workbench.root, tmp_path / "o", "--workshop", path, "--lang", "en")
    assert result.exit_code == 1
    for key in ("add", "lunch_minutes", "date"):
        for message in errors[key]:
            first = message.split("\n")[0].split(": ", 1)[1]  # without the path, which differs
            assert first in result.output, (key, first)
    assert "did you mean 'beta'" in " ".join(errors["add"])
    late = client.post(
        "/api/plan/x", base_url=BASE, json={"profile": "whrd", "start": "17:00", "end": "09:00"}, headers=token_headers(guard)
    )
    assert late.status_code == 422 and "the day ends before it starts" in " ".join(late.get_json()["errors"]["end"])
    unknown = client.post("/api/plan/x", base_url=BASE, json={"profile": "nobody"}, headers=token_headers(guard))
    assert unknown.status_code == 422 and "unknown profile 'nobody'" in " ".join(unknown.get_json()["errors"]["profile"])


def test_dropping_a_prerequisite_keeps_it_and_says_why(bench) -> None:  # type: ignore[no-untyped-def]
    _, guard, client = bench
    plan = client.post("/api/plan/x", base_url=BASE, json={"profile": "whrd", "drop": ["alpha"]}, headers=token_headers(guard)).get_json()
    assert [lesson["id"] for lesson in plan["lessons"]] == ["alpha", "gamma"]
    assert {"kind": "kept", "lesson": "alpha", "by": ["gamma"]} in plan["notes"]
    plan = client.post("/api/plan/x", base_url=BASE, json={"profile": "whrd", "drop": ["gamma"]}, headers=token_headers(guard)).get_json()
    assert plan["lessons"] == []  # alpha was there only because gamma builds on it
    assert {lesson["id"] for lesson in plan["available"]} == {"alpha", "beta", "gamma"}
    over = client.post("/api/plan/x", base_url=BASE, json={"profile": "whrd", "time_budget": 60}, headers=token_headers(guard)).get_json()
    assert over["over_budget"] and over["total_minutes"] == 70


# --- previews and packs are the build's files ------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "es"])
def test_previews_are_byte_for_byte_what_build_writes(bench, tmp_path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    workbench, _, client = bench
    out = tmp_path / "cli"
    assert build(workbench.root, out, "--profile", "journalist", "--lang", lang, "--format", "handout", "--format", "slides").exit_code == 0
    for name in ("handout.html", "slides.html"):
        response = client.get(f"/preview/profile/journalist/{lang}/{name}", base_url=BASE)
        assert response.status_code == 200
        assert response.data == (out / "journalist" / lang / name).read_bytes()
        assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    workshop = workbench.workshops / "spring.yml"
    assert build(workbench.root, out, "--workshop", workshop, "--lang", lang, "--format", "slides").exit_code == 0
    response = client.get(f"/preview/workshop/spring/{lang}/slides.html", base_url=BASE)
    assert response.data == (out / "whrd" / lang / "slides.html").read_bytes()


def test_a_lesson_with_errors_shows_them_instead_of_the_preview(bench) -> None:  # type: ignore[no-untyped-def]
    workbench, _, client = bench
    lesson = workbench.root / "lessons" / "beta" / "en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("level: intermediate", "level: expert"), encoding="utf-8")
    workbench.changed({lesson})
    response = client.get("/preview/profile/journalist/en/handout.html", base_url=BASE)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    line = next(n for n, text in enumerate(lesson.read_text(encoding="utf-8").splitlines(), 1) if text.startswith("level:"))
    assert f"lessons/beta/en.md:{line}: " in page
    assert "expert" in page
    status = client.get("/api/status", base_url=BASE).get_json()
    assert status["errors"] and f"en.md:{line}" in status["errors"][0]["text"]
    # fixed on disk: the preview is back
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("level: expert", "level: intermediate"), encoding="utf-8")
    workbench.changed({lesson})
    assert client.get("/preview/profile/journalist/en/handout.html", base_url=BASE).status_code == 200


def test_the_zip_download_is_what_build_zip_writes_and_verifies(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workbench, _, client = bench
    response = client.get("/packs/journalist/es.zip", base_url=BASE)
    assert response.status_code == 200, response.data[:500]
    assert response.headers["Content-Type"] == "application/zip"
    downloaded = tmp_path / "journalist-es.zip"
    downloaded.write_bytes(response.data)
    assert run("verify", downloaded).exit_code == 0
    out = tmp_path / "cli"
    assert build(workbench.root, out, "--profile", "journalist", "--lang", "es", "--zip").exit_code == 0
    assert (out / "journalist" / "es.zip").read_bytes() == response.data
    response = client.get("/packs/workshop/spring/en.zip", base_url=BASE)
    assert response.status_code == 200
    with zipfile.ZipFile(__import__("io").BytesIO(response.data)) as z:
        assert {n.split("/")[0] for n in z.namelist()} == {"spring-en"}
    assert client.get("/packs/workshop/autumn/en.zip", base_url=BASE).status_code == 404
    assert client.get("/packs/journalist/fr.zip", base_url=BASE).status_code == 404


def test_a_build_reports_progress_and_its_files(bench) -> None:  # type: ignore[no-untyped-def]
    workbench, guard, client = bench
    response = client.post(
        "/api/builds", base_url=BASE, json={"profile": "whrd", "lang": "en", "formats": ["handout"]}, headers=token_headers(guard)
    )
    assert response.status_code == 202
    job = workbench.job(response.get_json()["id"])
    assert job.done.wait(120)
    state = client.get(f"/api/builds/{job.id}", base_url=BASE).get_json()
    assert state["state"] == "done", state
    assert state["files"] == ["handout.html", "handout.pdf", "manifest.json"]
    pdf = client.get("/files/whrd/en/handout.pdf", base_url=BASE)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.data == (workbench.out / "whrd" / "en" / "handout.pdf").read_bytes()
    assert client.get("/files/whrd/en/guide.pdf", base_url=BASE).status_code == 404  # not built, not listed


# --- translations ----------------------------------------------------------------------------


def test_translations_page_and_scaffold(bench) -> None:  # type: ignore[no-untyped-def]
    workbench, guard, client = bench
    report = client.get("/api/translations", base_url=BASE).get_json()
    es = next(entry for entry in report if entry["language"] == "es")
    assert es["missing"] == 2 and es["translated"] == 1
    page = client.get("/translations", base_url=BASE).get_data(as_text=True)
    assert 'data-lesson="beta"' in page and 'data-lesson="gamma"' in page
    response = client.post("/api/translations/es/beta", base_url=BASE, headers=token_headers(guard))
    assert response.status_code == 201
    assert (workbench.root / "lessons" / "beta" / "es.md").is_file()
    assert client.post("/api/translations/es/beta", base_url=BASE, headers=token_headers(guard)).status_code == 409
    assert client.post("/api/translations/fr/beta", base_url=BASE, headers=token_headers(guard)).status_code == 404
    report = client.get("/api/translations", base_url=BASE).get_json()
    assert next(entry for entry in report if entry["language"] == "es")["missing"] == 1


# --- the interface speaks the trainer's language ---------------------------------------------------


@pytest.mark.parametrize(("ui", "direction", "word"), [("ar", "rtl", "الدروس"), ("es", "ltr", "Lecciones"), ("en", "ltr", "Lessons")])
def test_the_interface_is_translated(bench, ui: str, direction: str, word: str) -> None:  # type: ignore[no-untyped-def]
    _, _, client = bench
    chosen = client.get(f"/ui/{ui}?back=/plan", base_url=BASE)
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/plan")
    page = client.get("/lessons", base_url=BASE).get_data(as_text=True)
    assert f'<html lang="{ui}" dir="{direction}">' in page
    assert word in page
    strings = page.split('id="trainkit-strings">', 1)[1].split("</script>", 1)[0]
    json.loads(strings)  # the script's strings arrive as JSON, not HTML-escaped
    assert client.get("/ui/xx", base_url=BASE).status_code == 404
    assert client.get("/ui/en?back=//evil.example/", base_url=BASE).headers["Location"] in ("/", f"{BASE}/")
