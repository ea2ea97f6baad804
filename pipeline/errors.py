"""Errors a user can act on. The CLI prints them as one line and exits 2 (input) or 1."""

from __future__ import annotations


class ShelfAuditError(Exception):
    """A problem with the user's input, settings or files (exit code 2)."""

    exit_code = 2


class ModelNotFoundError(ShelfAuditError):
    """A model file/directory is missing; the message says what and how to get it."""


class PhotoError(ShelfAuditError):
    """A photo cannot be read as an image (corrupt, not an image, too large ...)."""
