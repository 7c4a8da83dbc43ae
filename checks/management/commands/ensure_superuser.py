"""Create the first superuser on a fresh install, so the run command leads straight to a login."""

import os
import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from checks.management.commands._admin_password import admin_password_write


class Command(BaseCommand):
    help = (
        "Create a superuser when none exists: from DJANGO_SUPERUSER_USERNAME and "
        "DJANGO_SUPERUSER_PASSWORD when set, else 'admin' with a generated password, printed "
        "once or kept in --password-file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password-file",
            type=Path,
            help="keep a generated password in this file, readable by you only (`loginbox` "
            "reads it), instead of printing it",
        )

    def handle(self, *args, password_file: Path | None, **options) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser exists already; nothing to do.")
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        if not generated:
            self.stdout.write(f"Created superuser '{username}' from the environment.")
        elif password_file is not None:
            admin_password_write(password_file, username=username, password=password)
            self.stdout.write(f"Created superuser '{username}'; its password is in {password_file}")
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Created superuser '{username}' with password: {password}\n"
                    "It is shown only this once; change it in the admin."
                )
            )
