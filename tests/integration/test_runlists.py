"""`manage.py runlists --due`: cron fires the due schedules once, waits for the runs checked in
its process, and sends the word about their changes."""

import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from checks.management.commands import runlists
from checks.models import Batch, Delivery, SavedList
from tests.support import ROOT, wait_until


@pytest.fixture
def ocean_list(ocean_list, user) -> SavedList:
    """The daily list of three pages, due now; its owner has an e-mail address."""
    user.email = "alice@example.org"
    user.save()
    due_now(ocean_list)
    return ocean_list


def due_now(saved_list: SavedList) -> None:
    SavedList.objects.filter(pk=saved_list.pk).update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )


def runlists_run(*args: str) -> tuple[str, str]:
    """Run the command in this process; its stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("runlists", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_due_list_is_run_once_and_waited_for(ocean_list):
    stdout, _ = runlists_run("--due")

    run = Batch.objects.get()
    assert (run.saved_list, run.status) == (ocean_list, "finished")
    assert stdout == f"Ocean pages: batch {run.pk} finished, the list's first run\n"


@pytest.mark.django_db(transaction=True)
def test_two_calls_in_a_row_start_one_run(ocean_list):
    runlists_run("--due")

    stdout, _ = runlists_run("--due")

    assert Batch.objects.count() == 1
    assert stdout == "No list was due.\n"


@pytest.mark.django_db(transaction=True)
def test_a_run_with_changes_is_told_and_mailed_to_the_owner(ocean_list, fake_wiki, mailoutbox):
    runlists_run("--due")
    fake_wiki.page_delete("Island")
    due_now(ocean_list)

    stdout, _ = runlists_run("--due")

    second = Batch.objects.get(parent__isnull=False)
    [mail] = mailoutbox
    assert stdout == f"Ocean pages: batch {second.pk} finished, 1 change\n"
    assert mail.to == ["alice@example.org"]
    assert mail.subject == "wikicheck: 1 page changed in “Ocean pages”"
    assert f"Island: Exists → Does not exist  {fake_wiki.wiki_url}Island" in mail.body
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_a_run_without_changes_sends_no_mail(ocean_list, mailoutbox):
    runlists_run("--due")
    due_now(ocean_list)

    stdout, _ = runlists_run("--due")

    assert stdout.endswith("finished, 0 changes\n")
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_due_run_that_could_not_start_is_named_with_its_note(ocean_list, settings):
    settings.WIKICHECK_ALLOWED_HOSTS = ["*.wikipedia.org"]

    stdout, stderr = runlists_run("--due")

    ocean_list.refresh_from_db()
    assert stdout == ""
    assert stderr == f"Ocean pages: {ocean_list.schedule_note}\n"
    assert "did not start: The list “Ocean pages” has lines refused now" in stderr
    assert ocean_list.next_run_at > timezone.now()
    assert Batch.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_quiet_prints_no_line_for_the_runs(ocean_list):
    stdout, stderr = runlists_run("--due", "--quiet")

    assert (stdout, stderr) == ("", "")
    assert Batch.objects.get().status == "finished"


@pytest.mark.django_db(transaction=True)
def test_with_celery_the_runs_are_left_to_the_workers(ocean_list, celery_broker):
    stdout, _ = runlists_run("--due")

    run = Batch.objects.get()
    assert run.status == Batch.Status.RUNNING
    assert stdout == f"Ocean pages: batch {run.pk} started; the workers check it\n"


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_cancels_the_runs_still_going_and_exits_with_130(ocean_list, fake_wiki, monkeypatch):
    fake_wiki.latency_ms = 300

    def interrupt(**kwargs) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(runlists, "stores_wait", interrupt)

    with pytest.raises(CommandError) as failure:
        runlists_run("--due")

    assert failure.value.returncode == 130
    assert str(failure.value).startswith("Interrupted: 1 run cancelled")
    assert Batch.objects.get().status == Batch.Status.CANCELLED
    # Checks that were under way are still stored; wait for them before the test ends.
    wait_until(lambda: Batch.objects.get().is_settled)


def test_without_due_it_prints_its_usage_and_exits_with_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "manage.py", "runlists"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr.startswith("usage: manage.py runlists")
    assert "the following arguments are required: --due" in done.stderr
