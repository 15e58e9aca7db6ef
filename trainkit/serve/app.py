"""The workbench's HTTP side: pages, the JSON API, previews, downloads and the event stream.

Pages are server-rendered Jinja templates (templates/serve/), translated with the same
gettext catalogs as the packs, with one small script (static/app.js) and no remote
asset. Every route takes ids, never paths (workbench.py looks them up); guard.py
checks every request before a route sees it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any

import click
from flask import Flask, Response, abort, g, jsonify, redirect, request
from markupsafe import Markup

from .. import __version__
from ..catalogs import LOCALE_DIR, translations
from ..errors import ContentError, Problem, UsageError
from ..i18n import is_rtl, language_name
from ..listing import language_rows, lesson_rows, profile_rows
from ..model import Format
from ..output import read_manifest
from ..render import environment, templates_dir
from .events import EventHub, Watcher
from .guard import TOKEN_HEADER, Guard, is_loopback, security_headers
from .planner import clean_values, describe
from .workbench import NotFound, Target, Workbench, is_ident

UI_COOKIE = "trainkit_ui"


def ui_languages() -> list[str]:
    """The interface's languages: English and every language with a catalog."""
    return ["en", *sorted(p.name.replace("_", "-") for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / "trainkit.po").is_file())]


def create_app(workbench: Workbench, guard: Guard) -> Flask:
    app = Flask(__name__, static_folder=str(templates_dir() / "serve" / "static"), static_url_path="/static")
    app.config.update(MAX_CONTENT_LENGTH=1 << 20, JSON_SORT_KEYS=False)
    languages = ui_languages()

    # --- every request --------------------------------------------------------------------

    @app.before_request
    def check_request() -> Any:
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
        refused = guard.refuse(
            request.method, request.headers.get("Host"), request.headers.get("Origin"), request.headers.get(TOKEN_HEADER), raw
        )
        if refused is not None:
            status, reason = refused
            return Response(reason + "\n", status=status, mimetype="text/plain")
        chosen = request.cookies.get(UI_COOKIE, "")
        g.ui = chosen if chosen in languages else (request.accept_languages.best_match(languages) or "en")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in security_headers(getattr(g, "kind", "app")).items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Any:
        return _error(404, str(error))

    @app.errorhandler(404)
    def no_route(_: Any) -> Any:
        return _error(404, "nothing here")

    @app.errorhandler(405)
    def wrong_method(_: Any) -> Any:
        return _error(405, "method not allowed")

    @app.errorhandler(413)
    def too_large(_: Any) -> Any:
        return _error(413, "request too large")

    def _error(status: int, message: str) -> Any:
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": message}), status
        return page("serve/error.html.j2", status=status, message=message), status

    def ident(value: str, what: str) -> str:
        """An id from the URL: a plain id, never a path (`..`, `/`, `%2f` are refused)."""
        if not is_ident(value):
            abort(Response(json.dumps({"error": f"'{value}' is not a {what} id"}) + "\n", status=400, mimetype="application/json"))
        return value

    # --- pages ------------------------------------------------------------------------------

    def page(template: str, **context: Any) -> str:
        env = environment(g.ui)
        snapshot = workbench.snapshot
        gettext = translations(g.ui).gettext
        strings = {key: gettext(text) for key, text in SCRIPT_STRINGS.items()}
        return env.get_template(template).render(
            ui=g.ui,
            dir="rtl" if is_rtl(g.ui) else "ltr",
            ui_languages=[(code, language_name(code)) for code in languages],
            token=guard.token,
            version=__version__,
            path=request.path,
            snapshot=snapshot,
            errors=[p.format(workbench.root.parent) for p in snapshot.errors],
            strings=Markup(json.dumps(strings, ensure_ascii=False).replace("<", "\\u003c").replace("&", "\\u0026")),
            **context,
        )

    @app.get("/")
    def home() -> Any:
        return redirect("/lessons")

    @app.get("/ui/<code>")
    def choose_ui(code: str) -> Any:
        if code not in languages:
            raise NotFound(f"no interface language '{code}'")
        back = request.args.get("back", "/")
        response = redirect(back if back.startswith("/") and not back.startswith("//") else "/")
        response.set_cookie(UI_COOKIE, code, max_age=365 * 86400, httponly=True, samesite="Strict")
        return response

    @app.get("/lessons")
    def lessons_page() -> Any:
        curriculum = workbench.snapshot.curriculum
        rows = lesson_rows(curriculum) if curriculum else []
        vocabulary = curriculum.vocabulary if curriculum else None
        return page("serve/lessons.html.j2", rows=rows, vocabulary=vocabulary, curriculum=curriculum)

    @app.get("/lessons/<path:lesson_id>")
    def lesson_page(lesson_id: str) -> Any:
        from ..assets import inline_images, shown_in
        from ..localize import localize_lesson

        lesson = workbench.lesson(ident(lesson_id, "lesson"))
        curriculum = workbench.curriculum()
        lang = request.args.get("lang", curriculum.source_language)
        workbench.language(lang)
        with workbench.lock:
            view = localize_lesson(lesson, lang)
            root = curriculum.root / "lessons"
            participant = inline_images(str(view.participant), shown_in(str(view.participant), view.images), root)
            slides = [(s.title, inline_images(str(s.html), shown_in(str(s.html), view.images), root)) for s in view.slides]
        shown = view.lang or curriculum.source_language
        return page(
            "serve/lesson.html.j2",
            lesson=lesson,
            view=view,
            participant=participant,
            slides=slides,
            curriculum=curriculum,
            lang=lang,
            text_dir="rtl" if is_rtl(shown) else "ltr",
        )

    @app.get("/plan")
    def plan_page() -> Any:
        curriculum = workbench.snapshot.curriculum
        name = request.args.get("workshop", "")
        return page(
            "serve/plan.html.j2",
            curriculum=curriculum,
            workshops=workbench.workshop_names(),
            workshop=name if is_ident(name) else "",
            profiles=sorted(curriculum.profiles.values(), key=lambda p: p.id) if curriculum else [],
            languages=list(curriculum.languages) if curriculum else [],
            today=dt.date.today().isoformat(),
        )

    @app.get("/preview")
    def preview_page() -> Any:
        curriculum = workbench.snapshot.curriculum
        return page(
            "serve/preview.html.j2",
            curriculum=curriculum,
            profiles=sorted(curriculum.profiles) if curriculum else [],
            workshops=workbench.workshop_names(),
            languages=[(code, language_name(code)) for code in curriculum.languages] if curriculum else [],
        )

    @app.get("/translations")
    def translations_page() -> Any:
        from ..translate import status_report

        curriculum = workbench.snapshot.curriculum
        report = []
        if curriculum is not None:
            with workbench.lock:
                report = status_report(curriculum, [c for c in curriculum.languages if c != curriculum.source_language])
        return page("serve/translations.html.j2", curriculum=curriculum, report=report)

    # --- the JSON API -------------------------------------------------------------------------

    @app.get("/api/status")
    def status() -> Any:
        snapshot = workbench.snapshot
        return jsonify(
            {
                "generation": snapshot.generation,
                "errors": [_problem(p, workbench.root.parent) for p in snapshot.errors],
                "warnings": len(snapshot.problems) - len(snapshot.errors),
            }
        )

    @app.get("/api/lessons")
    def api_lessons() -> Any:
        return jsonify(lesson_rows(workbench.curriculum()))

    @app.get("/api/profiles")
    def api_profiles() -> Any:
        return jsonify(profile_rows(workbench.curriculum()))

    @app.get("/api/languages")
    def api_languages() -> Any:
        return jsonify(language_rows(workbench.curriculum()))

    @app.get("/api/workshops")
    def api_workshops() -> Any:
        return jsonify(workbench.workshop_names())

    @app.get("/api/workshops/<path:name>")
    def api_workshop(name: str) -> Any:
        values, failed = workbench.load_workshop(ident(name, "workshop"))
        if failed is not None:
            return jsonify({"ok": False, "errors": failed.fields, "text": failed.text}), 422
        with workbench.lock:
            plan = workbench.check_plan(name, values or {})
            described = describe(plan, workbench.curriculum(), g.ui)
        return jsonify({"ok": True, "name": name, "values": values, "plan": described})

    @app.put("/api/workshops/<path:name>")
    def api_save_workshop(name: str) -> Any:
        values = clean_values(request.get_json(silent=True))
        plan = workbench.save_workshop(ident(name, "workshop"), values)
        with workbench.lock:
            described = describe(plan, workbench.curriculum(), g.ui)
        return jsonify({"ok": plan.ok, "name": name, "saved": plan.ok, "plan": described, "errors": plan.fields}), 200 if plan.ok else 422

    @app.post("/api/plan/<path:name>")
    def api_plan(name: str) -> Any:
        values = clean_values(request.get_json(silent=True))
        with workbench.lock:
            plan = workbench.check_plan(ident(name, "workshop"), values)
            described = describe(plan, workbench.curriculum(), g.ui)
        return jsonify(described), 200 if plan.ok else 422

    @app.post("/api/builds")
    def api_build() -> Any:
        asked = request.get_json(silent=True) or {}
        target = _target(asked)
        formats = tuple(Format(f) for f in asked.get("formats", []) if f in {x.value for x in Format})
        job = workbench.start_build(target, formats, bool(asked.get("zip")))
        return jsonify(job.as_json()), 202

    @app.get("/api/builds/<path:job_id>")
    def api_job(job_id: str) -> Any:
        return jsonify(workbench.job(ident(job_id, "build")).as_json())

    @app.get("/api/translations")
    def api_translations() -> Any:
        from ..translate import status_report

        curriculum = workbench.curriculum()
        with workbench.lock:
            report = status_report(curriculum, [c for c in curriculum.languages if c != curriculum.source_language])
        return jsonify([{k: v for k, v in entry.items() if not k.startswith("_")} for entry in report])

    @app.post("/api/translations/<path:lang>/<path:lesson_id>")
    def api_new_translation(lang: str, lesson_id: str) -> Any:
        from ..translate import scaffold_translation

        lesson = workbench.lesson(ident(lesson_id, "lesson"))
        workbench.language(ident(lang, "language"))
        with workbench.lock:
            try:
                path = scaffold_translation(workbench.curriculum(), lang, lesson.id)
            except UsageError as refused:
                return jsonify({"ok": False, "error": refused.message, "hint": refused.hint}), 409
        workbench.changed({path})  # the page that asked sees the new file at once, not at the watcher's next turn
        return jsonify({"ok": True, "path": str(path.relative_to(workbench.root.parent))}), 201

    def _target(asked: dict[str, Any]) -> Target:
        lang = ident(str(asked.get("lang", "")), "language")
        if asked.get("workshop"):
            return _or_problems(lambda: workbench.target(lang, workshop=ident(str(asked["workshop"]), "workshop")))
        return _or_problems(lambda: workbench.target(lang, profile=ident(str(asked.get("profile", "")), "profile")))

    def _or_problems(make: Any) -> Any:
        try:
            return make()
        except ContentError as failed:
            body = {
                "error": "the curriculum or the workshop file has errors",
                "problems": [_problem(p, workbench.root.parent) for p in failed.problems],
            }
            abort(Response(json.dumps(body) + "\n", status=422, mimetype="application/json"))

    # --- previews, files and packs ------------------------------------------------------------

    @app.get("/preview/profile/<path:profile>/<path:lang>/<path:name>")
    def preview_profile(profile: str, lang: str, name: str) -> Any:
        return _preview(lambda: workbench.target(ident(lang, "language"), profile=ident(profile, "profile")), name)

    @app.get("/preview/workshop/<path:workshop>/<path:lang>/<path:name>")
    def preview_workshop(workshop: str, lang: str, name: str) -> Any:
        return _preview(lambda: workbench.target(ident(lang, "language"), workshop=ident(workshop, "workshop")), name)

    def _preview(make: Any, name: str) -> Any:
        try:
            data = workbench.preview(make(), name)
        except ContentError as failed:
            g.kind = "framed"
            return page("serve/problems.html.j2", problems=[p.format(workbench.root.parent) for p in failed.problems if p.is_error]), 422
        g.kind = "document"
        return Response(data, mimetype="text/html")

    @app.get("/files/<path:profile>/<path:lang>/<path:name>")
    def pack_file(profile: str, lang: str, name: str) -> Any:
        """A file of a published pack, if its manifest lists it."""
        folder = workbench.out / workbench.profile(ident(profile, "profile")) / workbench.language(ident(lang, "language"))
        manifest = read_manifest(folder) or {}
        listed = {entry.get("name") for entry in manifest.get("files", []) if isinstance(entry, dict)}
        if name not in listed or not (folder / name).is_file():
            raise NotFound(f"no file '{name}' in the {profile}/{lang} pack; build it first")
        g.kind = "document"
        kind = "application/pdf" if name.endswith(".pdf") else "text/html"
        return Response((folder / name).read_bytes(), mimetype=kind)

    @app.get("/packs/<profile>/<path:lang>.zip")
    def profile_zip(profile: str, lang: str) -> Any:
        return _zip(lambda: workbench.target(ident(lang, "language"), profile=ident(profile, "profile")))

    @app.get("/packs/workshop/<workshop>/<path:lang>.zip")
    def workshop_zip(workshop: str, lang: str) -> Any:
        return _zip(lambda: workbench.target(ident(lang, "language"), workshop=ident(workshop, "workshop")))

    def _zip(make: Any) -> Any:
        target = _or_problems(make)
        job = workbench.build_now(target, (), make_zip=True)
        if job.state != "done" or job.zip_bytes is None:
            return jsonify({"error": job.message, "problems": job.problems}), 422 if job.state == "failed" else 503
        name = f"{target.workshop or target.profile}-{target.lang}.zip"
        return Response(job.zip_bytes, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/events")
    def events() -> Any:
        return Response(workbench.hub.stream(), mimetype="text/event-stream", headers={"X-Accel-Buffering": "no"})

    return app


def _problem(problem: Problem, root: Path) -> dict[str, Any]:
    return {"text": problem.format(root), "message": problem.message, "line": problem.line, "hint": problem.hint}


def N_(text: str) -> str:  # noqa: N802 (marks a string for extraction: babel.cfg's -k N_)
    return text


# Strings the page script shows, translated on the server and handed to it as JSON.
SCRIPT_STRINGS = {
    "saved": N_("Saved"),
    "not_saved": N_("Not saved: fix the fields marked below"),
    "building": N_("Building…"),
    "built": N_("Built"),
    "failed": N_("Failed"),
    "download": N_("Download the pack (zip)"),
    "minutes": N_("min"),
    "over_budget": N_("Over the time budget"),
    "within_budget": N_("Within the time budget"),
    "move_up": N_("Move up"),
    "move_down": N_("Move down"),
    "remove": N_("Remove"),
    "pulled_in": N_("added because %(by)s builds on it"),
    "kept": N_("kept although dropped: %(by)s builds on it"),
    "moved": N_("comes first: %(by)s builds on it"),
    "break": N_("Break"),
    "lunch": N_("Lunch"),
    "day": N_("Day %(number)s"),
    "updated": N_("Preview updated"),
    "pdf_ready": N_("PDF ready"),
    "pdf_building": N_("Making the PDFs…"),
    "errors_found": N_("The curriculum has errors; the preview shows them"),
    "shown": N_("%(count)s of %(total)s lessons shown"),
    "started": N_("Translation started"),
    "name_needed": N_("Give the workshop a name (lowercase letters, digits and dashes)"),
    "loaded": N_("Workshop loaded"),
    "unsaved": N_("Changes not saved yet"),
}


def _can_listen(host: str, port: int) -> None:
    """UsageError (exit 2) when the address cannot be listened on: the port is taken, or the address is not this machine's."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as failed:
        raise UsageError(
            f"cannot listen on {host}:{port} ({failed.strerror})", "choose another port with --port, or --port 0 for any free one"
        ) from None


def serve(curriculum: Path, workshops: Path, out: Path, host: str, port: int, open_browser: bool, jobs: int | None) -> None:
    """Run the workbench until Ctrl-C; a build in progress is cancelled and nothing half-written kept."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request: the terminal shows what matters

    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host}: anyone who can reach this machine on port {port} can read the curriculum and "
            "the packs. Use this only on a network you trust; the default, 127.0.0.1, is this machine alone.",
            err=True,
        )
    _can_listen(host, port)  # Werkzeug would print its own message and exit 1; say it our way, with a hint
    hub = EventHub()
    workbench = Workbench(curriculum, workshops, out, jobs, hub)
    workbench.reload()
    server = make_server(host, port, None, threaded=True)  # type: ignore[arg-type]
    guard = Guard(host=host, port=server.server_port)
    server.app = create_app(workbench, guard)  # type: ignore[attr-defined]
    server.daemon_threads = True
    watcher = Watcher([curriculum, workshops, templates_dir()], [out], workbench.changed)
    watcher.start()
    threading.Thread(target=workbench.warm_up, name="trainkit-warm-up", daemon=True).start()
    snapshot = workbench.snapshot
    state = f"{len(snapshot.errors)} error(s) in the curriculum, shown in the pages" if snapshot.errors else "curriculum loaded"
    click.echo(f"Trainkit workbench: {guard.address}  ({state}; Ctrl-C stops it)")
    sys.stdout.flush()
    if open_browser and not os.environ.get("TRAINKIT_NO_BROWSER"):
        webbrowser.open(guard.address)
    try:
        server.serve_forever()  # Werkzeug's returns on Ctrl-C (it catches KeyboardInterrupt itself)
    except KeyboardInterrupt:
        pass
    finally:
        click.echo("Stopping: a build in progress is cancelled; the packs already published stay as they were.", err=True)
        watcher.stop()
        workbench.stop()
        server.server_close()
