"""`manage.py checkpages --list`: a saved list run from a script, its results written as usual
and its changes since the previous finished run told on stderr."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from checks.models import Batch, SavedList
from checks.watch.lists import list_save

PAGES = "Ocean\nIsland\nMissing reef"


@pytest.fixture
def ocean_list(user, fake_wiki) -> SavedList:
    """A list of three pages of the fake wiki, one of them missing."""
    return list_of(user, "Ocean pages", wiki=fake_wiki.wiki_url)


def list_of(owner, name: str, *, wiki: str) -> SavedList:
    return list_save(owner=owner, name=name, entries=PAGES, wiki=wiki, mode="api")


def checkpages_run(*args: str) -> tuple[str, str]:
    """Run the command in this process; its stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("checkpages", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def checkpages_fails(*args: str) -> CommandError:
    with pytest.raises(CommandError) as failure:
        checkpages_run(*args)
    return failure.value


def since(batch: Batch) -> str:
    """When a run ended, as the command says it."""
    return timezone.localtime(batch.finished_at).strftime("%Y-%m-%d %H:%M %Z")


# --- Running a list ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_list_is_checked_as_a_run_of_it_with_its_results_written(ocean_list):
    stdout, _ = checkpages_run("--list", "Ocean pages", "--user", "alice")

    run = Batch.objects.get()
    assert (run.saved_list, run.status) == (ocean_list, "finished")
    assert "Island,exists" in stdout
    assert "Missing reef,missing" in stdout


@pytest.mark.django_db(transaction=True)
def test_the_first_run_says_there_is_nothing_to_compare_with(ocean_list):
    _, stderr = checkpages_run("--list", "Ocean pages", "--user", "alice")

    assert stderr.endswith("First run of the list: nothing to compare with.\n")


@pytest.mark.django_db(transaction=True)
def test_pages_removed_and_created_between_two_runs_are_told_as_changes(ocean_list, fake_wiki):
    checkpages_run("--list", "Ocean pages", "--user", "alice")
    first = Batch.objects.get()
    fake_wiki.page_delete("Island")
    fake_wiki.page_create("Missing reef")

    _, stderr = checkpages_run("--list", "Ocean pages", "--user", "alice")

    second = Batch.objects.exclude(pk=first.pk).get()
    assert second.parent == first
    assert stderr.splitlines()[-3:] == [
        f"2 changes since {since(first)}:",
        f"now_missing Island: Exists -> Does not exist {fake_wiki.wiki_url}Island",
        f"now_exists Missing reef: Does not exist -> Exists {fake_wiki.wiki_url}Missing_reef",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_run_like_the_last_says_nothing_changed(ocean_list):
    checkpages_run("--list", "Ocean pages", "--user", "alice")
    first = Batch.objects.get()

    _, stderr = checkpages_run("--list", "Ocean pages", "--user", "alice")

    assert stderr.endswith(f"No changes since {since(first)}.\n")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("quiet", [("--quiet",), ("-v", "0")], ids=["quiet", "verbosity-0"])
def test_quiet_tells_no_changes(ocean_list, fake_wiki, quiet):
    checkpages_run("--list", "Ocean pages", "--user", "alice")
    fake_wiki.page_delete("Island")

    _, stderr = checkpages_run("--list", "Ocean pages", "--user", "alice", *quiet)

    assert stderr == ""


# --- Failing on a change -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fail_on_change_exits_with_1_after_writing_the_results_and_the_changes(
    ocean_list, fake_wiki
):
    checkpages_run("--list", "Ocean pages", "--user", "alice")
    fake_wiki.page_delete("Island")
    stdout, stderr = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command(
            "checkpages",
            "--list",
            "Ocean pages",
            "--user",
            "alice",
            "--fail-on-change",
            stdout=stdout,
            stderr=stderr,
        )

    assert failure.value.returncode == 1
    assert str(failure.value) == "Failing as --fail-on-change asks: 1 page changed."
    assert "Island,missing" in stdout.getvalue()
    assert "now_missing Island: Exists -> Does not exist" in stderr.getvalue()


@pytest.mark.django_db(transaction=True)
def test_fail_on_change_succeeds_when_nothing_changed(ocean_list):
    checkpages_run("--list", "Ocean pages", "--user", "alice")

    checkpages_run("--list", "Ocean pages", "--user", "alice", "--fail-on-change")

    assert Batch.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_fail_on_change_succeeds_on_a_lists_first_run(ocean_list):
    checkpages_run("--list", "Ocean pages", "--user", "alice", "--fail-on-change")

    assert Batch.objects.get().status == "finished"


@pytest.mark.django_db
def test_fail_on_change_without_a_list_is_a_usage_error(user, fake_wiki, tmp_path):
    path = tmp_path / "pages.txt"
    path.write_text(PAGES)

    failure = checkpages_fails(str(path), "--user", "alice", "--fail-on-change")

    assert failure.returncode == 2
    assert "--fail-on-change goes with --list NAME" in str(failure)
    assert Batch.objects.count() == 0


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_list_exits_with_2_naming_the_users_lists(user, other_user, fake_wiki):
    for name in ("Sharks", "Islands"):
        list_of(user, name, wiki=fake_wiki.wiki_url)
    list_of(other_user, "Ocean pages", wiki=fake_wiki.wiki_url)

    failure = checkpages_fails("--list", "Ocean pages", "--user", "alice")

    assert failure.returncode == 2
    assert (
        str(failure) == "alice has no list named “Ocean pages”. Their lists: “Islands”, “Sharks”."
    )
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_list_names_ten_of_the_users_lists_and_counts_the_rest(user, fake_wiki):
    for number in range(12):
        list_of(user, f"List {number:02}", wiki=fake_wiki.wiki_url)

    failure = checkpages_fails("--list", "Ocean pages", "--user", "alice")

    assert "“List 00”, “List 01”" in str(failure)
    assert "“List 10”" not in str(failure)
    assert str(failure).endswith("“List 09” (and 2 more).")


@pytest.mark.django_db
def test_an_unknown_list_of_a_user_without_lists_says_so(user):
    failure = checkpages_fails("--list", "Ocean pages", "--user", "alice")

    assert failure.returncode == 2
    assert str(failure) == "alice has no list named “Ocean pages”, nor any other list."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "named"),
    [
        (("FILE",), "FILE"),
        (("--links-of", "Links 5"), "--links-of"),
        (("--category", "Members 5"), "--category"),
        (("--wiki", "https://en.wikipedia.org/wiki/", "--mode", "page"), "--wiki, --mode"),
    ],
)
def test_options_the_list_has_its_own_of_are_a_usage_error(ocean_list, tmp_path, options, named):
    path = tmp_path / "pages.txt"
    path.write_text(PAGES)
    options = tuple(str(path) if option == "FILE" else option for option in options)

    failure = checkpages_fails("--list", "Ocean pages", "--user", "alice", *options)

    assert failure.returncode == 2
    assert str(failure) == f"--list runs the list as it is saved: leave out {named}."
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_list_whose_last_run_is_still_going_exits_with_2(ocean_list):
    Batch.objects.create(
        owner=ocean_list.owner, wiki=ocean_list.wiki, total=3, saved_list=ocean_list
    )

    failure = checkpages_fails("--list", "Ocean pages", "--user", "alice")

    assert failure.returncode == 2
    assert "The list “Ocean pages” is still being checked." in str(failure)
    assert Batch.objects.count() == 1
