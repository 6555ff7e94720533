"""The index format's version, apart from the schema so that naming it imports no Whoosh."""

SCHEMA_VERSION = "9"  # 9: titleas, title words as written (jekyll's, user-centered); 8: author slugs (the author
# filter and facet); 7: documents keyed by post id; 6: live length sums (scoring.py)
