"""The index format's version, apart from the schema so that naming it imports no Whoosh."""

# 10: the hit column uncompressed; 9: titleas, title words as written (jekyll's, user-centered); 8: author slugs
# (the author filter and facet); 7: documents keyed by post id; 6: live length sums (scoring.py)
SCHEMA_VERSION = "10"
