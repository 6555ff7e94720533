"""Image probing at index time: sizes, placeholders, variants, refusals, and the problems they report."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from service.content import images
from service.content.images import ImageRefused, annotate_images, locate, probe
from service.content.loader import load_content
from service.content.models import Image, PostRef
from service.content.variants import make_variant
from tests.helpers import write_image, write_post

FORMATS = [("photo.png", "image/png", "PNG"), ("photo.jpg", "image/jpeg", "JPEG"),
           ("photo.gif", "image/gif", "GIF"), ("photo.webp", "image/webp", "WEBP")]


def _image(src: str, local: str | None) -> Image:
    return Image(id="x-img1", src=src, url=f"/media/{local}" if local else src, alt="", title=None, local_path=local,
                 post=PostRef("x", "X", "/x.html"))


def _decoded_placeholder(uri: str) -> PILImage.Image:
    assert uri.startswith("data:image/webp;base64,")
    return PILImage.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


@pytest.mark.parametrize(("name", "mime", "fmt"), FORMATS)
def test_dimensions_type_size_and_placeholder_of_each_format(tmp_path: Path, name: str, mime: str, fmt: str) -> None:
    path = write_image(tmp_path / name, (1200, 600))
    found = probe(path)
    assert (found.width, found.height, found.mime_type, found.format) == (1200, 600, mime, fmt)
    assert found.bytes == path.stat().st_size
    assert found.placeholder is not None and len(found.placeholder) <= images.PLACEHOLDER_MAX_CHARS
    preview = _decoded_placeholder(found.placeholder)
    assert max(preview.size) <= 16 and preview.size[0] == 2 * preview.size[1]  # same 2:1 shape, a few pixels


@pytest.mark.parametrize(("name", "mime", "fmt"), FORMATS)
def test_variants_are_the_configured_widths_below_the_original_then_the_original(tmp_path: Path, name: str,
                                                                                 mime: str, fmt: str) -> None:
    write_image(tmp_path / "assets" / name, (1200, 600))
    image = _image(f"/assets/{name}", f"assets/{name}")
    assert annotate_images([image], tmp_path, "_posts/x.md", (320, 640, 1200, 1600)) == []
    assert image.meta["variants"] == [
        {"width": 320, "height": 160, "url": f"/media/assets/{name}?w=320"},
        {"width": 640, "height": 320, "url": f"/media/assets/{name}?w=640"},
        {"width": 1200, "height": 600, "url": f"/media/assets/{name}"},
    ]
    assert image.meta["missing"] is False and image.meta["mime_type"] == mime


def test_exif_rotation_swaps_the_reported_dimensions(tmp_path: Path) -> None:
    exif = PILImage.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    path = write_image(tmp_path / "rotated.jpg", (400, 200), exif=exif.tobytes())
    found = probe(path)
    assert (found.width, found.height) == (200, 400)
    assert _decoded_placeholder(found.placeholder or "").size[1] > _decoded_placeholder(found.placeholder or "").size[0]
    variant = PILImage.open(make_variant(path, 100, tmp_path / "cache"))
    assert variant.size == (100, 200)


def test_svg_size_comes_from_its_tag_and_it_is_never_resized(tmp_path: Path) -> None:
    (tmp_path / "a.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="120px" height="80"></svg>')
    (tmp_path / "b.svg").write_text('<?xml version="1.0"?>\n<svg viewBox="0 0 300 150.4"><rect/></svg>')
    (tmp_path / "c.svg").write_text('<svg width="100%" height="100%"></svg>')
    a, b, c = (probe(tmp_path / f"{n}.svg") for n in "abc")
    assert (a.width, a.height, a.mime_type, a.placeholder) == (120, 80, "image/svg+xml", None)
    assert (b.width, b.height) == (300, 150)
    assert (c.width, c.height) == (None, None)
    image = _image("/a.svg", "a.svg")
    annotate_images([image], tmp_path, "_posts/x.md")
    assert image.meta["variants"] == [] and image.meta["width"] == 120
    (tmp_path / "d.svg").write_text("just text")
    with pytest.raises(ImageRefused, match="not an SVG"):
        probe(tmp_path / "d.svg")


def test_animated_gif_keeps_its_size_but_has_no_variants(tmp_path: Path) -> None:
    frames = [PILImage.new("RGB", (800, 400), colour) for colour in ("red", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    image = _image("/anim.gif", "anim.gif")
    annotate_images([image], tmp_path, "_posts/x.md")
    assert (image.meta["width"], image.meta["height"], image.meta["variants"]) == (800, 400, [])


def test_remote_images_say_their_dimensions_are_unknown(tmp_path: Path) -> None:
    image = _image("https://cdn.example.org/a.jpg", None)
    assert annotate_images([image], tmp_path, "_posts/x.md") == []
    assert image.meta == images.UNKNOWN and image.meta["width"] is None and image.meta["missing"] is False


def test_missing_and_corrupt_images_are_reported_and_marked_missing(tmp_path: Path) -> None:
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    (tmp_path / "text.jpg").write_text("a text file with an image's name")
    whole = write_image(tmp_path / "whole.jpg", (400, 200)).read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    found = [_image("/nope.png", "nope.png"), _image("/corrupt.png", "corrupt.png"), _image("text.jpg", "text.jpg"),
             _image("/truncated.jpg", "truncated.jpg")]
    problems = annotate_images(found, tmp_path, "_posts/x.md")
    assert [p.severity for p in problems] == ["warning"] * 4
    assert "'/truncated.jpg' cannot be decoded" in problems[3].message
    assert all(p.path == "_posts/x.md" for p in problems)
    assert "'/nope.png' does not exist in the content folder" in problems[0].message
    assert "'/corrupt.png'" in problems[1].message and "'text.jpg' is not an image" in problems[2].message
    for image in found:
        assert image.meta["missing"] is True and image.meta["width"] is None and image.meta["variants"] == []


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    PILImage.new("1", (10_000, 10_000)).save(bomb)  # 100 megapixels in a file of a few kilobytes
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ImageRefused, match="decompression bomb"):
        probe(bomb)
    with pytest.raises(ImageRefused, match="decompression bomb"):
        make_variant(bomb, 320, tmp_path / "cache")
    image = _image("/bomb.png", "bomb.png")
    [problem] = annotate_images([image], tmp_path, "_posts/x.md")
    assert "decompression bomb" in problem.message and image.meta["missing"] is True


def test_traversal_out_of_the_content_folder_is_not_probed(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_image(tmp_path / "outside.png", (50, 50))
    (content / "assets").mkdir(parents=True)
    (content / "assets" / "link.png").symlink_to(tmp_path / "outside.png")
    for local in ("../outside.png", "assets/../../outside.png", "assets/link.png", "assets/%2e%2e/%2e%2e/outside.png"):
        assert locate(content, local) is None, local
    write_image(content / "assets" / "my photo.png", (50, 50))
    assert locate(content, "assets/my%20photo.png") == (content / "assets" / "my photo.png").resolve()


def test_probe_is_cached_by_path_size_and_mtime(tmp_path: Path) -> None:
    path = write_image(tmp_path / "a.png", (100, 50))
    first = probe(path)
    assert probe(path) is first
    write_image(path, (300, 100))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert (probe(path).width, probe(path).height) == (300, 100)


def test_make_variant_keeps_the_format_and_is_made_once(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for name, _, fmt in FORMATS:
        path = write_image(tmp_path / name, (900, 300))
        variant = make_variant(path, 320, cache)
        with PILImage.open(variant) as made:
            assert (made.format, made.size) == (fmt, (320, 107))
        stamp = variant.stat().st_mtime_ns
        assert make_variant(path, 320, cache) == variant and variant.stat().st_mtime_ns == stamp


def test_shared_images_name_every_visible_post_that_uses_them(content_dir: Path) -> None:
    write_image(content_dir / "assets" / "shared.png", (400, 200))
    write_post(content_dir, "2024-01-01-old.md", "title: Old\nimage: /assets/shared.png", "Old.\n")
    write_post(content_dir, "2024-02-01-new.md", "title: New", "![A](/assets/shared.png)\n\n![B](/assets/shared.png)\n")
    write_post(content_dir, "2999-01-01-future.md", "title: Future\nimage: /assets/shared.png", "Not yet.\n")
    result = load_content(content_dir)
    new, old = result.posts  # newest first; the future post is hidden
    assert (new.slug, old.slug) == ("new", "old") and [p.slug for p in result.hidden] == ["future"]
    for image in [old.image, *new.images]:
        assert image is not None
        assert [p["slug"] for p in image.meta["posts"]] == ["new", "old"] and image.meta["post_count"] == 2


def test_content_check_reports_missing_corrupt_and_bomb_images(content_dir: Path, make_app: Callable[..., Any]) -> None:
    (content_dir / "assets").mkdir()
    (content_dir / "assets" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    PILImage.new("1", (10_000, 10_000)).save(content_dir / "assets" / "bomb.png")
    write_image(content_dir / "assets" / "fine.png", (10, 10))
    write_post(content_dir, "2024-01-01-pictures.md", "title: Pictures\nimage: /assets/gone.png",
               "![broken](/assets/broken.jpg)\n\n![bomb](/assets/bomb.png)\n\n![fine](/assets/fine.png)\n")
    app = make_app(content_dir, skip_reindex=True)
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output  # image problems are warnings: the post is still served
    lines = [line for line in result.output.splitlines() if line.startswith("_posts/2024-01-01-pictures.md")]
    assert len(lines) == 3, result.output
    assert "warning: image '/assets/gone.png' does not exist" in lines[0]
    assert "'/assets/broken.jpg'" in lines[1] and "decompression bomb" in lines[2]
    assert "1 posts served" in result.output


def test_names_with_spaces_get_quoted_variant_urls_that_name_the_file(tmp_path: Path) -> None:
    write_image(tmp_path / "assets" / "my photo.png", (700, 350))
    for local in ("assets/my photo.png", "assets/my%20photo.png"):
        image = _image(f"/{local}", local)
        assert annotate_images([image], tmp_path, "_posts/x.md") == []
        assert image.meta["variants"][0]["url"] == "/media/assets/my%20photo.png?w=320"


def test_images_in_hidden_or_underscore_folders_are_reported(tmp_path: Path) -> None:
    write_image(tmp_path / "_drafts" / "a.png", (50, 50))
    write_image(tmp_path / ".git" / "b.png", (50, 50))
    found = [_image("/_drafts/a.png", "_drafts/a.png"), _image("/.git/b.png", ".git/b.png")]
    problems = annotate_images(found, tmp_path, "_posts/x.md")
    assert ["hidden or _ folder" in p.message for p in problems] == [True, True]
    assert all(image.meta["missing"] for image in found)


def test_sixteen_bit_greys_are_scaled_not_clipped(tmp_path: Path) -> None:
    deep = PILImage.linear_gradient("L").resize((400, 200)).convert("I").point(lambda v: v * 256).convert("I;16")
    deep.save(tmp_path / "deep.png")
    low, high = _decoded_placeholder(probe(tmp_path / "deep.png").placeholder or "").convert("L").getextrema()
    assert low < 64 and high > 192  # the full range survives, not a white block
    with PILImage.open(make_variant(tmp_path / "deep.png", 320, tmp_path / "cache")) as variant:
        assert variant.size == (320, 160) and variant.convert("L").getextrema()[0] < 64
