"""Errors that reach the user as one clear line (the CLI exits 2 on them)."""

from __future__ import annotations


class FerrofixError(Exception):
    """Base class: a problem with the user's environment or input, not a bug in ferrofix.

    `str(err)` is a complete, one-line message meant for the user.
    """


class CargoNotFoundError(FerrofixError):
    """`cargo` is not on PATH (or the configured cargo command cannot be started)."""


class NotACargoProjectError(FerrofixError):
    """The path holds no `Cargo.toml` in it or any parent directory."""


class CargoManifestError(FerrofixError):
    """cargo rejected the manifest (broken `Cargo.toml`, unresolvable dependencies); carries cargo's message."""


class CheckTimeoutError(FerrofixError):
    """A `cargo check` exceeded its time limit and was killed."""


class CheckCancelledError(FerrofixError):
    """A `cargo check` was cancelled (its process group was killed)."""


class SourceEncodingError(FerrofixError):
    """A source file is not valid UTF-8, so byte-exact edits cannot be made to it."""


class ModelError(FerrofixError):
    """A GGUF model is missing, corrupt or cannot be loaded, or a model backend failed."""


class ContextOverflowError(ModelError):
    """A prompt does not fit the model's context window (`n_ctx` tokens)."""


class ModelAnswerError(FerrofixError):
    """A model kept answering something that does not parse or validate."""


class SettingsError(FerrofixError):
    """The settings file cannot be read or holds invalid values."""


class DiagnosticFormatError(FerrofixError):
    """A compiler message that does not have the shape of rustc's JSON diagnostics."""
