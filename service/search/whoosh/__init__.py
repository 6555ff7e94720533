"""The Whoosh engine behind service.search: the only package that imports whoosh."""
