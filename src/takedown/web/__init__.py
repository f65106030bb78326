"""Server-rendered pages (Jinja2 + htmx, no front-end build step): public and staff."""
