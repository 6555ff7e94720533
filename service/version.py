"""The program's version: named in the OpenAPI document and folded into every index build's key."""

__version__ = "0.1.0"
