"""The file in which `scripts/serve.sh` keeps the generated admin password: written once,
readable by its owner only, and read again for the login box."""

import os
from pathlib import Path


def admin_password_write(path: Path, *, username: str, password: str) -> None:
    """Keep `username` and `password` in `path`, mode 0600, in place of what it held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # A file that was there keeps its mode through O_CREAT: it is emptied, then made private.
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{username}\n{password}\n")


def admin_password_read(path: Path) -> tuple[str, str] | None:
    """The username and password kept in `path`; None without such a file."""
    try:
        username, password = path.read_text().split()
    except (FileNotFoundError, ValueError):
        return None
    return username, password
