"""Lesson images: the one place that names them, reads them and keys caches on them.

A lesson's Markdown names an image by file name; localizing gives it a virtual URL
`trainkit:lesson/<id>/<quoted name>` (quoted on the way in, unquoted on the way
out), preferring a localized `<stem>.<lang>.<ext>` with the same candidates
`check` accepts. Rendering reads an image back through `load_resource` only: a
regular file in that lesson's folder, size-capped, bytes matching the type.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote, unquote

from .files import Refused, image_candidates, read_bytes, sniff_image
from .markup import VIRTUAL_SCHEME
from .model import ID_PATTERN, Lesson

# Trainkit's own pictures, drawn by CSS in printed documents (the caution triangle): as a
# background, a PDF reader treats it as decoration, not as a figure that needs alt text.
ICONS = {
    f"{VIRTUAL_SCHEME}icon/caution.svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
        b'<path d="M12 2.5 22.5 21h-21z" fill="none" stroke="#000" stroke-width="2.4" stroke-linejoin="round"/>'
        b'<path d="M11 9h2v6.5h-2zM11 17h2v2h-2z" fill="#000"/></svg>'
    ),
}
LESSON_URL = re.compile(r"^trainkit:lesson/([a-z0-9][a-z0-9-]{0,63})/([^/\\]+)$")


def image_url(lesson: Lesson, lang: str, name: str) -> str | None:
    """The virtual URL of a lesson image, preferring a localized `<stem>.<lang>.<ext>` when it exists."""
    for candidate in image_candidates(name, lang):
        file = lesson.folder / candidate
        if file.is_file() and not file.is_symlink():
            return f"{VIRTUAL_SCHEME}lesson/{lesson.id}/{quote(candidate, safe='')}"
    return None


def lesson_of(url: str) -> str:
    """The lesson a virtual image URL belongs to ('' if it is not one)."""
    match = LESSON_URL.match(url)
    return match.group(1) if match else ""


def load_resource(url: str, lessons_root: Path) -> tuple[bytes, str]:
    """The bytes and MIME type behind a `trainkit:` URL; Refused for anything else."""
    if url in ICONS:
        return ICONS[url], "image/svg+xml"
    match = LESSON_URL.match(url)
    if not match or not ID_PATTERN.match(match.group(1)):
        raise Refused(f"refused to load '{url[:200]}': only images in the lesson's own folder may be used")
    lesson_id, quoted = match.groups()
    name = unquote(quoted)
    if name.startswith(".") or name in ("..", ".") or "/" in name or "\\" in name:
        raise Refused(f"refused to load '{url[:200]}'")
    folder = lessons_root / lesson_id
    try:
        data = read_bytes(folder / name, folder)
        return data, sniff_image(data, name)
    except Refused as refused:
        raise Refused(f"image '{name}' of lesson '{lesson_id}': {refused.message}", refused.line) from None


def image_digest(url: str, lessons_root: Path) -> str:
    """The hash of one image's bytes (Refused if it cannot be read): images are part of the
    cache keys, so that an edited image lays out again what shows it, and nothing else."""
    data, _ = load_resource(url, lessons_root)
    return hashlib.sha256(data).hexdigest()


def images_key(urls: Iterable[str], digests: Mapping[str, str]) -> str:
    return ";".join(f"{url}={digests[url]}" for url in sorted(set(urls)))


def shown_in(html: str, urls: Iterable[str]) -> tuple[str, ...]:
    """Those of a lesson's images (resolved by the view model) that this HTML shows."""
    return tuple(url for url in dict.fromkeys(urls) if f'src="{url}"' in html)


def inline_images(html: str, urls: Iterable[str], lessons_root: Path) -> str:
    """The HTML with each of these images as a data: URI, so the file stands alone. The URLs
    are the ones the view model resolved; each was quoted, so it is written as is."""
    for url in sorted(set(urls)):
        data, mime = load_resource(url, lessons_root)
        html = html.replace(f'src="{url}"', f'src="data:{mime};base64,{base64.b64encode(data).decode("ascii")}"')
    return html
