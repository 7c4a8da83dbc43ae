"""The login box `scripts/serve.sh` ends its start-up with (`manage.py loginbox`), and the
password file `ensure_superuser --password-file` keeps it in."""

import stat
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"


@pytest.fixture
def password_file(tmp_path: Path, settings) -> Path:
    settings.WIKICHECK_SITE_URL = "http://127.0.0.1:8000"
    return tmp_path / "var" / "admin-password"


def box(password_file: Path) -> str:
    out = StringIO()
    call_command("loginbox", password_file=password_file, stdout=out)
    return out.getvalue()


def kept_password(password_file: Path) -> str:
    return password_file.read_text().split()[1]


@pytest.mark.django_db
def test_a_generated_password_is_kept_in_a_file_only_its_owner_reads(password_file):
    call_command("ensure_superuser", password_file=password_file, stdout=StringIO())

    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    username, password = password_file.read_text().split()
    assert get_user_model().objects.get(username=username).check_password(password)


@pytest.mark.django_db
def test_an_older_password_file_is_made_private_again(password_file):
    password_file.parent.mkdir()
    password_file.write_text("admin\nold\n")
    password_file.chmod(0o644)

    call_command("ensure_superuser", password_file=password_file, stdout=StringIO())

    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert kept_password(password_file) != "old"


@pytest.mark.django_db
def test_the_generated_password_is_not_printed_when_kept(password_file):
    out = StringIO()

    call_command("ensure_superuser", password_file=password_file, stdout=out)

    assert out.getvalue() == f"Created superuser 'admin'; its password is in {password_file}\n"


@pytest.mark.django_db
def test_box_names_where_and_as_whom_to_log_in_with_the_kept_password(password_file):
    call_command("ensure_superuser", password_file=password_file, stdout=StringIO())

    lines = box(password_file).splitlines()

    assert lines[1].startswith("│ ")
    assert f"Log in at {LOGIN_URL} as admin / {kept_password(password_file)}" in lines[1]
    assert "Change the password: .venv/bin/python manage.py changepassword admin" in lines[2]
    assert (lines[0][0], lines[-1][-1], len(lines)) == ("┌", "┘", 4)
    assert len({len(line) for line in lines}) == 1


@pytest.mark.django_db
def test_box_shows_the_same_password_on_every_start(password_file):
    call_command("ensure_superuser", password_file=password_file, stdout=StringIO())
    first = box(password_file)

    call_command("ensure_superuser", password_file=password_file, stdout=StringIO())
    again = box(password_file)

    assert again == first


@pytest.mark.django_db
def test_box_tells_a_password_changed_since_without_showing_the_old_one(password_file):
    call_command("ensure_superuser", password_file=password_file, stdout=StringIO())
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("my-own-pass-123")
    admin.save()

    shown = box(password_file)

    assert "as admin (password changed since: use yours)" in shown
    assert kept_password(password_file) not in shown
    assert "Forgot it? .venv/bin/python manage.py changepassword admin" in shown


@pytest.mark.django_db
def test_box_without_a_kept_password_names_the_first_superuser(password_file):
    get_user_model().objects.create_superuser(username="alice", password="wikicheck-pass-1")
    get_user_model().objects.create_superuser(username="bob", password="wikicheck-pass-2")

    shown = box(password_file)

    assert f"Log in at {LOGIN_URL} as alice with your password" in shown


@pytest.mark.django_db
def test_box_without_a_superuser_says_how_to_make_one(password_file):
    with pytest.raises(CommandError, match=r"manage\.py ensure_superuser"):
        box(password_file)
