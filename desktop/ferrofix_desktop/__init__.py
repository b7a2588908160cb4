"""ferrofix's desktop app (PySide6): curate the error-fix knowledge base and manage local models.
Run with `ferrofix-desktop` or `python -m ferrofix_desktop`."""
