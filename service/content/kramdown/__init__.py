"""kramdown's rules (Jekyll's Markdown) as markdown-it-py plugins, one module per rule."""
