"""Where a check's password comes from when it is not in the target URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class PasswordUnavailableError(Exception):
    """Raised when the password file cannot be read or the password variable is not set."""


@dataclass(frozen=True, slots=True)
class Password:
    """A password file (a mounted Kubernetes Secret) or an environment variable, read on each
    connection, so a rotated Secret is used from the next connection on without a restart."""

    file: Path | None = None
    env: str | None = None

    def read(self) -> str | None:
        """The password, ``None`` when neither is configured (the URL's own is used)."""
        if self.file is not None:
            try:
                # A Secret's file usually ends with the newline of the editor that wrote it.
                return self.file.read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError):
                raise PasswordUnavailableError("cannot read password_file") from None
        if self.env is not None:
            try:
                return os.environ[self.env]
            except KeyError:
                raise PasswordUnavailableError(f"{self.env} is not set") from None
        return None
