"""marshmallow schemas: front matter (load), query arguments (load), responses (dump), errors."""
