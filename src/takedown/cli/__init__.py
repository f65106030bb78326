"""The `takedown` command line (Typer)."""
