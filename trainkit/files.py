"""Reading untrusted files: regular files only, never through a symlink, never blocking, size-capped.

A lesson folder comes from volunteers; a FIFO, a device, a symlink to the trainer's
documents or a 3 GB file must be refused with its path, not followed or read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_ASSET_BYTES = 8 * 1024 * 1024


class Refused(Exception):
    """A file that may not be read; the message says why, for a path:line report."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def inside(path: Path, root: Path) -> bool:
    """True when `path`, with symlinks resolved, is within `root` (also resolved)."""
    try:
        path.resolve(strict=False).relative_to(root.resolve(strict=False))
    except ValueError:
        return False
    return True


def check_no_symlinks(path: Path, root: Path) -> None:
    """Refuse a path if it, or any folder between `root` and it, is a symlink."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        raise Refused(f"'{path}' is outside '{root}'") from None
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise Refused(f"'{current.relative_to(root)}' is a symbolic link; links are not followed")


def read_bytes(path: Path, root: Path, limit: int = MAX_ASSET_BYTES) -> bytes:
    """Read a regular file inside `root` without following links or blocking on FIFOs."""
    check_no_symlinks(path, root)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Refused("file not found") from None
    except OSError as exc:
        raise Refused(f"cannot open: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file (a device, FIFO or folder)")
        if info.st_size > limit:
            raise Refused(f"file is {info.st_size:,} bytes; the limit is {limit:,}")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 16):
            total += len(chunk)
            if total > limit:
                raise Refused(f"file grew past the limit of {limit:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, root: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """Read UTF-8 text (a BOM is allowed); newlines normalised to \\n."""
    data = read_bytes(path, root, limit)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Refused(f"not valid UTF-8 text (byte 0x{data[exc.start]:02x})", line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
MAX_IMAGE_PIXELS = 40_000_000


def image_candidates(name: str, lang: str) -> list[str]:
    """File names that can stand for image `name` in `lang`, best first: `<stem>.<lang>` in the same
    type, then in any other supported type (a PNG may replace an SVG whose labels need shaping),
    then `name` itself."""
    stem, _, suffix = name.rpartition(".")
    if not stem:
        return [name]
    same = f"{stem}.{lang}.{suffix}"
    others = [f"{stem}.{lang}{ext}" for ext in IMAGE_TYPES if ext != f".{suffix.lower()}"]
    return [same, *others, name] if lang else [name]


def sniff_image(data: bytes, name: str, decode: bool = False) -> str:
    """The MIME type of an image whose bytes match its extension; Refused otherwise.

    `decode` (check does) decodes raster images fully, not just their header."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    mime = IMAGE_TYPES.get(suffix)
    if mime is None:
        raise Refused(f"'{name}' is not a supported image type (PNG, JPEG, GIF, WebP, SVG)")
    checks = {
        "image/png": data.startswith(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg": data.startswith(b"\xff\xd8\xff"),
        "image/gif": data[:6] in (b"GIF87a", b"GIF89a"),
        "image/webp": data[:4] == b"RIFF" and data[8:12] == b"WEBP",
        "image/svg+xml": True,
    }
    if not checks[mime]:
        raise Refused(f"'{name}' does not contain {mime.split('/')[1].upper()} data")
    if mime == "image/svg+xml":
        check_svg(data, name)
    if mime == "image/svg+xml":
        return mime
    size = _raster_size(data, mime, name, decode)
    if size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise Refused(f"'{name}' is {size[0]}×{size[1]} pixels; the limit is {MAX_IMAGE_PIXELS:,} pixels")
    return mime


SVG_ELEMENTS = frozenset(
    "svg g defs symbol use title desc metadata path rect circle ellipse line polyline polygon text tspan textPath "
    "linearGradient radialGradient stop clipPath mask pattern marker filter feGaussianBlur feOffset feBlend feFlood "
    "feComposite feMerge feMergeNode feColorMatrix".split()
)


def _unescape_css(text: str) -> str:
    """CSS escapes (`\\69mport`, `u\\72l(`) written out, so a check cannot be fooled by them."""
    import re

    return re.sub(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", lambda m: chr(int(m[1], 16)) if m[1] else m[2], text)


def check_svg(data: bytes, name: str) -> None:
    """An SVG from a lesson: parsed (defusedxml: no DTD, entities or external references),
    then only drawing elements and attributes; nothing that runs, styles from elsewhere or
    loads anything. `<style>` is refused: its CSS could hide a load behind escapes."""
    import re

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(f"'{name}' is not UTF-8 SVG text") from None
    if "<!doctype" in text.lower() or "<!entity" in text.lower():
        raise Refused(f"'{name}' has a DTD or entities, which are not allowed in SVG")
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise Refused(f"'{name}' has a DTD or entities, which are not allowed in SVG") from None
    except ParseError as exc:
        raise Refused(f"'{name}' is not well-formed SVG ({exc})") from None
    if _local(root.tag) != "svg":
        raise Refused(f"'{name}' is not an SVG image")
    for element in root.iter():
        tag = _local(element.tag)
        if tag not in SVG_ELEMENTS:
            what = (
                "contains script or embedded content"
                if tag in ("script", "foreignObject", "iframe", "object", "embed")
                else f"uses <{tag}>"
            )
            raise Refused(f"'{name}' {what}; lesson SVGs may only draw (paths, shapes, text, gradients)")
        for attribute, value in element.attrib.items():
            local = _local(attribute).lower()
            plain = _unescape_css(value).lower()
            if local.startswith("on"):
                raise Refused(f"'{name}' contains script or embedded content")
            if local in ("href", "src") and not value.strip().startswith("#"):
                raise Refused(f"'{name}' refers to '{value.strip()[:80]}'; SVG images may not refer to other files or addresses")
            for target in re.findall(r"url\(\s*['\"]?\s*([^)'\"]*)", plain):
                if not target.startswith("#"):
                    raise Refused(f"'{name}' refers to '{target[:80]}' in a url(); SVG images may not load anything")
            if "@import" in plain or "expression(" in plain:
                raise Refused(f"'{name}' imports a stylesheet; SVG images may not load anything")


def _local(tag: str) -> str:
    """An XML name without its namespace: '{http://www.w3.org/2000/svg}path' → 'path'."""
    return tag.rsplit("}", 1)[-1]


PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def _raster_size(data: bytes, mime: str, name: str, decode: bool) -> tuple[int, int]:
    """Width and height from the image's header, read by Pillow (the decoder WeasyPrint uses);
    with `decode`, the whole image is decoded too (within the pixel limit), so a file that
    would print as nothing is refused by check instead of silently dropped."""
    import io
    import warnings

    from PIL import Image, ImageFile, UnidentifiedImageError

    guard, lenient = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    Image.MAX_IMAGE_PIXELS = None  # the header is read here to apply our own, lower limit with its size
    # Importing WeasyPrint turns on Pillow's lenient decoding of damaged files for the whole
    # process; check must refuse them whatever else this process has imported.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[mime]]) as image:
                size = image.size
                if decode and size[0] * size[1] <= MAX_IMAGE_PIXELS:
                    image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Refused(f"'{name}' cannot be decoded as {PILLOW_FORMATS[mime]}: {str(exc)[:120]}") from None
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = guard, lenient
    return size


def write_atomic(path: Path, data: bytes) -> None:
    """Write a cache or output file so that a reader sees the old file or the whole new one,
    never half of it, even with several processes writing the same name."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
