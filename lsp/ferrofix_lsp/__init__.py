"""ferrofix's language server (pygls 2): check on save, diagnostics, the compiler's quick fixes,
verified AI fixes, explanations. Run with `python -m ferrofix_lsp`."""
