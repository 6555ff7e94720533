"""Settings: image widths are read once, from the environment or from an app's caller, into one sorted tuple."""

from __future__ import annotations

import pytest

from service import create_app
from service.config import from_environment, parse_widths


def test_parse_widths() -> None:
    assert parse_widths("1600, 320,640,320,") == (320, 640, 1600)
    assert parse_widths("") == ()
    for bad in ("320,wide", "0", "99999"):
        with pytest.raises(ValueError, match="IMAGE_WIDTHS"):
            parse_widths(bad)


def test_image_widths_are_a_tuple_whichever_way_they_arrive() -> None:
    assert from_environment({"IMAGE_WIDTHS": "640,320"})["IMAGE_WIDTHS"] == (320, 640)
    assert create_app({"TESTING": True, "IMAGE_WIDTHS": "500,200"}).config["IMAGE_WIDTHS"] == (200, 500)
    assert create_app({"TESTING": True}).config["IMAGE_WIDTHS"] == (320, 640, 1024, 1600)
    with pytest.raises(ValueError, match="IMAGE_WIDTHS"):
        from_environment({"IMAGE_WIDTHS": "wide"})
