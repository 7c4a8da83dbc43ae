"""Print the box `scripts/serve.sh` ends its start-up with: where to log in, as whom, and the
generated password while it still works."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from checks.management.commands._admin_password import admin_password_read

# How the box tells serve.sh's users to run a command.
MANAGE = ".venv/bin/python manage.py"


class Command(BaseCommand):
    help = (
        "Print where (WIKICHECK_SITE_URL) and as whom to log in, with the password kept in "
        "--password-file while it is still the user's password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password-file",
            type=Path,
            required=True,
            help="where `ensure_superuser --password-file` keeps the generated password",
        )

    def handle(self, *args, password_file: Path, **options) -> None:
        url = settings.WIKICHECK_SITE_URL + reverse("login")
        self.stdout.write(box_draw(login_lines(url=url, password_file=password_file)))


def login_lines(*, url: str, password_file: Path) -> list[str]:
    """What the box says: the user the password file names (else the first superuser), and the
    kept password only if it still logs them in."""
    users = get_user_model()
    kept_username, kept_password = admin_password_read(password_file) or ("", "")
    user = (
        users.objects.filter(username=kept_username).first()
        or users.objects.filter(is_superuser=True).order_by("pk").first()
    )
    if user is None:
        raise CommandError(f"There is no superuser: run {MANAGE} ensure_superuser")
    change = f"{MANAGE} changepassword {user.username}"
    if user.username != kept_username:
        return [f"Log in at {url} as {user.username} with your password", f"Forgot it? {change}"]
    if not user.check_password(kept_password):
        return [
            f"Log in at {url} as {user.username} (password changed since: use yours)",
            f"Forgot it? {change}",
        ]
    return [
        f"Log in at {url} as {user.username} / {kept_password}",
        f"Change the password: {change}",
    ]


def box_draw(lines: list[str]) -> str:
    """`lines` framed with box-drawing characters, so they stand out at the end of a log."""
    width = max(len(line) for line in lines)
    rule = "─" * (width + 2)
    rows = [f"│ {line.ljust(width)} │" for line in lines]
    return "\n".join([f"┌{rule}┐", *rows, f"└{rule}┘"])
