"""Resized copies of local images for srcset, made on first request and kept on disk beside the index."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any

from PIL import Image as PILImage

from service.content.images import RESIZABLE, Probe, decode, has_alpha, opened, probe, variant_height


def variant_path(cache_dir: Path, source: Path, width: int, found: Probe) -> Path:
    """Name the cached variant after the source's identity, so a replaced original gets fresh variants."""
    stat = source.stat()
    key = hashlib.sha256(f"{source}\0{stat.st_size}\0{stat.st_mtime_ns}\0{width}".encode()).hexdigest()
    suffix = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}[RESIZABLE[found.format]]
    return cache_dir / key[:2] / f"{key[2:]}-{width}{suffix}"


def make_variant(source: Path, width: int, cache_dir: Path) -> Path:
    """Return the cached variant of source at width, making it once under a per-file lock."""
    found = probe(source, placeholder=False)
    if not found.resizable or not found.width or width >= found.width:
        raise ValueError("this image has no variant at that width")
    target = variant_path(cache_dir, source, width, found)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second request for the same variant waits, then finds it made
        try:
            if not target.exists():
                _write_variant(source, width, found, target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def _write_variant(source: Path, width: int, found: Probe, target: Path) -> None:
    height = variant_height(found.width or 1, found.height or 1, width)
    with opened(source) as image:
        icc = image.info.get("icc_profile")
        upright = decode(image, max(width, height))
        fmt = RESIZABLE[found.format]
        if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        elif fmt in ("PNG", "GIF", "WEBP") and upright.mode not in ("RGB", "RGBA", "L", "LA"):
            upright = upright.convert("RGBA" if has_alpha(upright) else "RGB")
        resized = upright.resize((width, height), PILImage.Resampling.LANCZOS, reducing_gap=3.0)
    options: dict[str, Any] = {"icc_profile": icc} if icc and fmt in ("JPEG", "PNG", "WEBP") else {}
    if fmt == "JPEG":
        options.update(quality=82, optimize=True, progressive=True)
    elif fmt == "PNG":
        options.update(optimize=True)
    elif fmt == "WEBP":
        options.update(quality=80, method=4)
    # GIF: Pillow reduces RGB(A) to a palette itself, keeping transparency as one palette entry
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        resized.save(partial, fmt, **options)
        os.replace(partial, target)  # readers see the whole file or none of it
    finally:
        partial.unlink(missing_ok=True)
