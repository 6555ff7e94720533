"""Probe local images at index time: size, type, a tiny placeholder and the responsive widths (srcset).

Flask-free: the loader calls `annotate_images` while it reads posts; service/content/variants.py makes the
resized copies. Pillow's limits bound the work any one file can cause.
"""

from __future__ import annotations

import base64
import io
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from service.content.models import DEFAULT_WIDTHS, Image, Post, Problem

MAX_PIXELS = 50_000_000  # larger images are refused: decoding them costs too much memory and time
MAX_BYTES = 50 * 1024 * 1024
PLACEHOLDER_SIDES = (16, 12, 8)  # tried in turn until the data URI fits PLACEHOLDER_MAX_CHARS
PLACEHOLDER_MAX_CHARS = 1024
MAX_LISTED_POSTS = 10  # posts named per image in /api/images; post_count says how many there are in all
RESIZABLE = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WEBP"}  # Pillow format -> saved as
SVG_MIME = "image/svg+xml"

# Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; probe() turns the warning into a refusal too.
PILImage.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageRefused(ValueError):
    """A local image that cannot be used: missing, unreadable, not an image, or over the limits."""


@dataclass(frozen=True)
class Probe:
    """What one image file is, independent of where posts use it."""

    width: int | None
    height: int | None
    mime_type: str
    bytes: int
    format: str  # Pillow's format name, or "SVG"
    placeholder: str | None
    animated: bool = False

    @property
    def resizable(self) -> bool:
        return self.format in RESIZABLE and not self.animated and bool(self.width)


_PROBES: dict[tuple[str, int, int, bool], Probe | ImageRefused] = {}
_MAX_CACHED = 50_000


@lru_cache(maxsize=64)
def _real_root(content_dir: str) -> str:
    return os.path.realpath(content_dir)


_REAL: dict[str, str] = {}


def _realpath(path: str) -> str:
    # Runs for every image reference of every post, and many posts name one image: remember the answers.
    # A stale answer (a symlink changed since) can only name a file that was inside the folder when checked.
    if path not in _REAL:
        if len(_REAL) >= _MAX_CACHED:
            _REAL.clear()
        _REAL[path] = os.path.realpath(path)
    return _REAL[path]


def locate(content_dir: Path, local_path: str) -> Path | None:
    """Return the file a local image path names inside content_dir, or None (missing, or outside)."""
    found = _locate(content_dir, local_path)
    return found[0] if found else None


def _locate(content_dir: Path, local_path: str) -> tuple[Path, str] | None:
    """Find the file as written or percent-decoded; return it and the spelling that names it."""
    root = _real_root(str(content_dir))
    for candidate in dict.fromkeys((local_path, unquote(local_path))):
        parts = candidate.split("/")
        if not candidate or "\x00" in candidate or candidate.startswith("/") or ".." in parts:
            continue
        if any(part.startswith((".", "_")) for part in parts):  # never served by /media/, as Jekyll never publishes
            continue
        target = _realpath(os.path.join(root, candidate))
        if target.startswith(root + os.sep) and os.path.isfile(target):
            return Path(target), candidate
    return None


def probe(path: Path, *, placeholder: bool = True) -> Probe:
    """Describe an image file; cached by (path, size, mtime) since many posts reuse one image.

    Without placeholder only the header is read (no decoding): enough to decide how to resize.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ImageRefused(f"cannot be read: {exc.strerror or exc}") from None
    key = (str(path), stat.st_size, stat.st_mtime_ns, placeholder)
    found = _PROBES.get(key)
    if found is None:
        try:
            found = _probe_file(path, stat.st_size, placeholder)
        except ImageRefused as exc:
            found = exc
        if len(_PROBES) >= _MAX_CACHED:
            _PROBES.clear()
        _PROBES[key] = found
    if isinstance(found, ImageRefused):
        raise ImageRefused(str(found))  # a fresh exception: re-raising one object would grow its traceback
    return found


def _probe_file(path: Path, size: int, placeholder: bool) -> Probe:
    if size > MAX_BYTES:
        raise ImageRefused(f"is {size:,} bytes, over the {MAX_BYTES:,}-byte limit")
    if path.suffix.lower() == ".svg":
        width, height = _svg_size(path)
        return Probe(width, height, SVG_MIME, size, "SVG", None)
    with opened(path) as image:
        width, height = _display_size(image)
        animated = bool(getattr(image, "is_animated", False))
        mime = "image/jpeg" if image.format == "MPO" else PILImage.MIME.get(image.format or "", "")
        if not mime:
            raise ImageRefused(f"is a {image.format} image, which browsers cannot show")
        preview = _placeholder(image) if placeholder else None
    return Probe(width, height, mime, size, image.format or "", preview, animated)


@contextmanager
def opened(path: Path) -> Iterator[PILImage.Image]:
    """Open an image with Pillow's limits, turning every way it can fail into ImageRefused."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            image = PILImage.open(path)
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise ImageRefused(f"is refused as a possible decompression bomb: {exc}") from None
        except UnidentifiedImageError:
            raise ImageRefused("is not an image Pillow can read (corrupt or unknown format)") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageRefused(f"cannot be read: {exc}") from None
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageRefused(f"is {width}x{height} pixels, over the {MAX_PIXELS:,}-pixel limit")
        yield image


def _display_size(image: PILImage.Image) -> tuple[int, int]:
    """Return width and height as shown, after the EXIF orientation a browser applies."""
    width, height = image.size
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - broken EXIF must not sink an otherwise good image
        orientation = None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def decode(image: PILImage.Image, side: int) -> PILImage.Image:
    """Decode the whole image (at a reduced scale where the format allows it), upright."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (side, side))  # decode at 1/2..1/8 scale: much faster for big photos
            image.load()
            upright = ImageOps.exif_transpose(image) or image
        except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombWarning, EOFError) as exc:
            raise ImageRefused(f"cannot be decoded: {exc}") from None
    if upright.mode.startswith("I;16") or upright.mode == "I":  # 16-bit greys: scale to 8 bits rather than clip
        upright = upright.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif upright.mode == "F":
        upright = upright.convert("L")
    return upright


def has_alpha(image: PILImage.Image) -> bool:
    """Say whether the image has transparency, so conversions keep it."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in image.info


def _placeholder(image: PILImage.Image) -> str:
    """Shrink the image to a few pixels and return it as a WebP data URI of at most ~1 KB."""
    # Only the WebP writer: saving to a format Pillow has not registered loads every plugin it has (50-70 ms).
    from PIL import WebPImagePlugin  # noqa: F401

    upright = decode(image, PLACEHOLDER_SIDES[0] * 8)
    small = upright.convert("RGBA" if has_alpha(upright) else "RGB")
    uri = ""
    for side in PLACEHOLDER_SIDES:
        thumb = small.copy()
        thumb.thumbnail((side, side), PILImage.Resampling.LANCZOS)
        out = io.BytesIO()
        thumb.save(out, "WEBP", quality=40, method=6)
        uri = "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode()
        if len(uri) <= PLACEHOLDER_MAX_CHARS:
            break
    return uri


_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE | re.DOTALL)
_SVG_ATTR = re.compile(rb"""\b(width|height|viewBox)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


def _svg_size(path: Path) -> tuple[int | None, int | None]:
    """Read an SVG's intrinsic size from its root tag, without parsing (or rendering) the document."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16384)
    except OSError as exc:
        raise ImageRefused(f"cannot be read: {exc.strerror or exc}") from None
    tag = _SVG_TAG.search(head)
    if tag is None:
        raise ImageRefused("is not an SVG document (no <svg> tag near its start)")
    attrs = {k.decode().lower(): v.decode("utf-8", "replace") for k, v in _SVG_ATTR.findall(tag.group())}
    sizes = [_LENGTH.match(attrs.get(k, "")) for k in ("width", "height")]
    if all(sizes):
        return tuple(max(1, round(float(m.group(1)))) for m in sizes)  # type: ignore[return-value,union-attr]
    box = attrs.get("viewbox", "").replace(",", " ").split()
    try:
        if len(box) == 4 and float(box[2]) > 0 and float(box[3]) > 0:
            return max(1, round(float(box[2]))), max(1, round(float(box[3])))
    except ValueError:
        pass
    return None, None


# -- what posts see -------------------------------------------------------------------------------------

UNKNOWN: dict[str, Any] = {"width": None, "height": None, "mime_type": None, "bytes": None, "placeholder": None,
                           "variants": [], "missing": False}


def variant_height(width: int, height: int, target: int) -> int:
    """Return the height of a variant target pixels wide, keeping the aspect ratio."""
    return max(1, round(height * target / width))


@lru_cache(maxsize=4096)
def image_meta(found: Probe, local_path: str, widths: tuple[int, ...]) -> dict[str, Any]:
    """Return the metadata an image record carries: size, type, placeholder and responsive variants.

    Cached: many posts reuse one image. Callers copy the dict before changing it.
    """
    url = "/media/" + quote(local_path)  # quoted: srcset entries must not contain spaces or commas
    variants: list[dict[str, Any]] = []
    if found.resizable and found.width and found.height:
        variants = [{"width": w, "height": variant_height(found.width, found.height, w), "url": f"{url}?w={w}"}
                    for w in widths if w < found.width]
        variants.append({"width": found.width, "height": found.height, "url": url})
    return {"width": found.width, "height": found.height, "mime_type": found.mime_type, "bytes": found.bytes,
            "placeholder": found.placeholder, "variants": variants, "missing": False}


def annotate_images(images: Iterable[Image | None], content_dir: Path, post_path: str,
                    widths: Sequence[int] = DEFAULT_WIDTHS) -> list[Problem]:
    """Fill each image's meta from its file; return a warning for each local image that cannot be used."""
    problems: list[Problem] = []
    for image in images:
        if image is None:
            continue
        if image.local_path is None:
            image.meta = {**image.meta, **UNKNOWN}
            continue
        found = _locate(content_dir, image.local_path)
        try:
            if found is None and any(p != ".." and p.startswith((".", "_")) for p in image.local_path.split("/")):
                raise ImageRefused("is in a hidden or _ folder, which is never published or served")
            if found is None:
                raise ImageRefused("does not exist in the content folder")
            image.meta = {**image.meta, **image_meta(probe(found[0]), found[1], tuple(widths))}
        except ImageRefused as exc:
            image.meta = {**image.meta, **UNKNOWN, "missing": True}
            problems.append(Problem(post_path, None, "warning", f"image {image.src!r} {exc}"))
    return problems


def link_usage(posts: Iterable[Post]) -> None:
    """Tell every image which posts use the same file (newest first), so /api/images can list them."""
    users: dict[str, list[dict[str, str]]] = {}
    images: list[tuple[str, Image]] = []
    for post in posts:
        ref = {"slug": post.slug, "title": post.title, "url": post.url}
        for image in ([post.image] if post.image else []) + post.images:
            key = image.local_path or image.url
            refs = users.setdefault(key, [])
            if not refs or refs[-1] is not ref:
                refs.append(ref)
            images.append((key, image))
    usage = {key: {"posts": refs[:MAX_LISTED_POSTS], "post_count": len(refs)} for key, refs in users.items()}
    for key, image in images:
        image.meta = {**image.meta, **usage[key]}
