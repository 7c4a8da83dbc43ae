"""`manage.py checkpages`: the web form's pipeline from a script, in process and as a real CLI."""

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from checks import exports
from checks.management.commands import checkpages
from checks.models import Batch, Result
from tests.support import ROOT, wait_until

SEED_PAGES = "Ocean\nIsland\nthis_page_does_not_exist\nShark\n"
SEED_OUTCOMES = [
    ("Ocean", "exists"),
    ("Island", "exists"),
    ("this page does not exist", "missing"),
    ("Shark", "exists"),
]


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def pages(tmp_path):
    path = tmp_path / "pages.txt"
    path.write_text(SEED_PAGES)
    return path


def checkpages_run(*args: str, stderr: io.StringIO | None = None) -> tuple[str, str]:
    """Run the command in this process; its stdout and stderr."""
    stdout, stderr = io.StringIO(), stderr or io.StringIO()
    call_command("checkpages", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def csv_outcomes(text: str) -> list[tuple[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    return [(row["title"], row["status"]) for row in rows]


def json_results(text: str) -> list[dict]:
    return json.loads(text)["results"]


# --- Checking ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_seed_pages_are_written_to_stdout_as_csv(fake_wiki, user, pages):
    stdout, _ = checkpages_run(str(pages), "--user", "alice")

    assert stdout.startswith("\ufeffposition,url,title,status,")
    assert csv_outcomes(stdout) == SEED_OUTCOMES


@pytest.mark.django_db(transaction=True)
def test_forbidden_titles_become_invalid_rows_and_stderr_says_how_many(fake_wiki, user, tmp_path):
    path = tmp_path / "pages.txt"
    path.write_text("Ocean\nFoo[bar\n~~~~\n")

    stdout, stderr = checkpages_run(str(path), "--user", "alice", "--mode", "page")

    assert "2 lines are not valid titles" in stderr
    assert dict(csv_outcomes(stdout)) == {
        "Ocean": "exists",
        "Foo[bar": "invalid",
        "~~~~": "invalid",
    }


@pytest.mark.django_db(transaction=True)
def test_the_batch_is_stored_in_the_users_history(fake_wiki, user, pages):
    checkpages_run(str(pages), "--user", "alice", "--mode", "page", "--timeout", "5")

    batch = Batch.objects.get()
    assert (batch.owner, batch.status, batch.mode, batch.timeout) == (user, "finished", "page", 5)
    assert (batch.exists_count, batch.missing_count) == (3, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("export_format", "chunks"), [("csv", exports.csv_chunks), ("json", exports.json_chunks)]
)
def test_stdout_has_the_downloads_bytes_and_nothing_else(
    fake_wiki, user, pages, export_format, chunks
):
    stdout, _ = checkpages_run(str(pages), "--user", "alice", "--format", export_format)

    assert stdout == b"".join(chunks(Batch.objects.get())).decode()


@pytest.mark.django_db(transaction=True)
def test_json_is_written_to_the_output_file(fake_wiki, user, pages, tmp_path):
    output = tmp_path / "results.json"

    stdout, _ = checkpages_run(
        str(pages), "--user", "alice", "--format", "json", "--output", str(output)
    )

    document = json.loads(output.read_bytes())
    assert stdout == ""
    assert document["batch"]["counts"]["missing"] == 1
    assert [(row["title"], row["status"]) for row in document["results"]] == SEED_OUTCOMES


@pytest.mark.django_db(transaction=True)
def test_each_row_carries_its_input_lines_and_its_entry_as_typed(fake_wiki, user, tmp_path):
    path = tmp_path / "pages.txt"
    path.write_text("Ocean\n\nthis_page_does_not_exist\n  /wiki/Ocean\n")

    stdout, _ = checkpages_run(str(path), "--user", "alice", "--format", "json")

    assert [(row["title"], row["lines"], row["entry"]) for row in json_results(stdout)] == [
        ("Ocean", [1, 4], "Ocean"),
        ("this page does not exist", [3], "this_page_does_not_exist"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_csv_file_is_read_as_the_upload_is_first_column_under_a_header(fake_wiki, user, tmp_path):
    path = tmp_path / "pages.CSV"
    path.write_text('title,note\nOcean,"deep,\nwide"\nIsland,x\n/wiki/Ocean,again\n')

    stdout, _ = checkpages_run(str(path), "--user", "alice")

    rows = list(csv.DictReader(io.StringIO(stdout.removeprefix("\ufeff"), newline="")))
    assert [(row["title"], row["status"], row["lines"], row["entry"]) for row in rows] == [
        ("Ocean", "exists", "2,5", "Ocean"),
        ("Island", "exists", "4", "Island"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_csv_file_is_not_held_to_the_upload_size_limit(fake_wiki, user, settings, tmp_path):
    settings.WIKICHECK_MAX_UPLOAD_BYTES = 10
    path = tmp_path / "pages.csv"
    path.write_text(SEED_PAGES)

    stdout, _ = checkpages_run(str(path), "--user", "alice")

    assert csv_outcomes(stdout) == SEED_OUTCOMES


@pytest.mark.django_db(transaction=True)
def test_fail_on_missing_exits_with_1_after_writing_the_results(fake_wiki, user, pages):
    stdout = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command(
            "checkpages", str(pages), "--user", "alice", "--fail-on", "missing,error", stdout=stdout
        )

    assert failure.value.returncode == 1
    assert "1 missing" in str(failure.value)
    assert csv_outcomes(stdout.getvalue()) == SEED_OUTCOMES


@pytest.mark.django_db(transaction=True)
def test_fail_on_statuses_that_did_not_occur_succeeds(fake_wiki, user, pages):
    stdout, _ = checkpages_run(str(pages), "--user", "alice", "--fail-on", "error,unknown")

    assert len(csv_outcomes(stdout)) == 4


@pytest.mark.django_db(transaction=True)
def test_fail_on_disambiguation_exits_with_1_when_a_page_is_one(
    fake_wiki, user, tmp_path, settings
):
    # Only the API tells a disambiguation page apart.
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    pages = tmp_path / "pages.txt"
    pages.write_text("Ocean\nMercury\n")
    stdout = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command(
            "checkpages",
            str(pages),
            "--user",
            "alice",
            "--fail-on",
            "disambiguation",
            stdout=stdout,
        )

    assert failure.value.returncode == 1
    assert "1 disambiguation" in str(failure.value)
    assert csv_outcomes(stdout.getvalue()) == [("Ocean", "exists"), ("Mercury", "exists")]


@pytest.mark.django_db(transaction=True)
def test_fail_on_disambiguation_succeeds_when_no_page_is_one(fake_wiki, user, pages):
    stdout, _ = checkpages_run(str(pages), "--user", "alice", "--fail-on", "disambiguation")

    assert csv_outcomes(stdout) == SEED_OUTCOMES


@pytest.mark.django_db
def test_fail_on_refuses_an_unknown_status(user, pages):
    with pytest.raises(CommandError, match="--fail-on"):
        checkpages_run(str(pages), "--user", "alice", "--fail-on", "exists")


@pytest.mark.django_db
def test_fail_on_names_what_it_accepts_disambiguation_included(user, pages):
    with pytest.raises(CommandError, match="missing,unknown,error,invalid,disambiguation"):
        checkpages_run(str(pages), "--user", "alice", "--fail-on", "redirect")


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_line_exits_with_2_naming_the_line_and_stores_nothing(fake_wiki, user, tmp_path):
    path = tmp_path / "pages.txt"
    path.write_text("Ocean\nhttps://evil.example/wiki/X\n")

    with pytest.raises(CommandError) as failure:
        checkpages_run(str(path), "--user", "alice")

    assert failure.value.returncode == 2
    assert "\nLine 2: " in str(failure.value)
    assert (Batch.objects.count(), Result.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_a_bad_csv_row_is_named_by_its_file_line(fake_wiki, user, tmp_path):
    path = tmp_path / "pages.csv"
    path.write_text("url\nOcean\n\nhttps://evil.example/wiki/X,x\n")

    with pytest.raises(CommandError) as failure:
        checkpages_run(str(path), "--user", "alice")

    assert failure.value.returncode == 2
    assert "\nFile line 4: host evil.example" in str(failure.value)
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_option_is_named_in_the_error(fake_wiki, user, pages):
    with pytest.raises(CommandError) as failure:
        checkpages_run(str(pages), "--user", "alice", "--wiki", "https://evil.example/wiki/")

    assert failure.value.returncode == 2
    assert "\n--wiki: " in str(failure.value)
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_names_the_line(fake_wiki, user, tmp_path):
    path = tmp_path / "pages.txt"
    path.write_bytes(b"Ocean\nCaf\xe9\n")

    with pytest.raises(CommandError, match="Line 2: not UTF-8") as failure:
        checkpages_run(str(path), "--user", "alice")

    assert failure.value.returncode == 2


@pytest.mark.django_db
def test_an_unknown_user_is_a_clear_error(fake_wiki, pages):
    with pytest.raises(CommandError, match="No user named 'nobody'") as failure:
        checkpages_run(str(pages), "--user", "nobody")

    assert failure.value.returncode == 2


@pytest.mark.django_db
def test_the_user_is_required_without_exactly_one_superuser(fake_wiki, user, pages):
    with pytest.raises(CommandError, match="--user NAME"):
        checkpages_run(str(pages))


@pytest.mark.django_db(transaction=True)
def test_the_only_superuser_owns_the_batch_by_default(fake_wiki, pages, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="x-pass-123")

    checkpages_run(str(pages))

    assert Batch.objects.get().owner == admin


# --- Waiting -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_stderr_has_only_the_summary_when_it_is_not_a_terminal(fake_wiki, user, pages):
    _, stderr = checkpages_run(str(pages), "--user", "alice")

    batch = Batch.objects.get()
    assert stderr == (
        f"Batch {batch.pk} finished: 4 pages in {batch.elapsed_seconds:.1f} s "
        f"(3 exists, 1 missing); /batches/{batch.pk}/\n"
        "Missing or failed:\n"
        "  missing  this page does not exist\n"
    )


@pytest.mark.django_db(transaction=True)
def test_the_summary_names_the_missing_then_the_failed_with_their_reasons(
    fake_wiki, user, tmp_path
):
    path = tmp_path / "pages.txt"
    path.write_text("Fault:500\nOcean\nFault:redirect-loop\nMissing one\n")

    _, stderr = checkpages_run(str(path), "--user", "alice")

    assert stderr.splitlines()[1:] == [
        "Missing or failed:",
        "  missing  Missing one",
        "  error    Fault:redirect-loop — TooManyRedirects: more than 10 redirects "
        "(a redirect loop?)",
        "  unknown  Fault:500 — HTTP 500 Internal Server Error",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_summary_names_20_titles_and_counts_the_rest(fake_wiki, user, tmp_path):
    path = tmp_path / "pages.txt"
    path.write_text("".join(f"Missing {n:02}\n" for n in range(23)))

    _, stderr = checkpages_run(str(path), "--user", "alice")

    lines = stderr.splitlines()
    assert "(23 missing)" in lines[0]
    assert lines[2:4] == ["  missing  Missing 00", "  missing  Missing 01"]
    assert lines[21:] == ["  missing  Missing 19", "  … and 3 more"]


@pytest.mark.django_db(transaction=True)
def test_the_summary_counts_redirects_and_disambiguation_pages_as_the_batch_page(
    fake_wiki, user, tmp_path, settings
):
    # Only the API tells redirects and disambiguation pages apart.
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    path = tmp_path / "pages.txt"
    path.write_text("Ocean\nMercury\nRedirect to Ocean\n")

    _, stderr = checkpages_run(str(path), "--user", "alice")

    assert "(3 exists, 1 redirect, 1 disambiguation);" in stderr
    assert "Missing or failed" not in stderr


@pytest.mark.django_db(transaction=True)
def test_a_progress_bar_is_drawn_on_a_terminal(fake_wiki, user, pages):
    _, stderr = checkpages_run(str(pages), "--user", "alice", stderr=TerminalStream())

    assert "4/4" in stderr
    assert "\r" in stderr


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("quiet", [("--quiet",), ("-v", "0")], ids=["quiet", "verbosity-0"])
def test_quiet_writes_nothing_to_stderr_even_on_a_terminal(fake_wiki, user, pages, quiet):
    _, stderr = checkpages_run(str(pages), "--user", "alice", *quiet, stderr=TerminalStream())

    assert stderr == ""


@pytest.fixture
def ctrl_c_once(monkeypatch):
    """The command's first wait for the workers is interrupted as by Ctrl-C."""
    waits, real_wait = [], checkpages.stores_wait

    def wait(**kwargs) -> int:
        waits.append(kwargs)
        if len(waits) == 1:
            raise KeyboardInterrupt
        return real_wait(**kwargs)

    monkeypatch.setattr(checkpages, "stores_wait", wait)


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_cancels_the_batch_and_exits_with_130(fake_wiki, user, tmp_path, ctrl_c_once):
    fake_wiki.latency_ms = 300
    path = tmp_path / "pages.txt"
    path.write_text("\n".join(f"Slow {n}" for n in range(40)))

    with pytest.raises(CommandError) as failure:
        checkpages_run(str(path), "--user", "alice")

    batch = Batch.objects.get()
    assert failure.value.returncode == 130
    assert batch.status == Batch.Status.CANCELLED
    assert batch.is_settled, "the checks in flight were stored before the results were written"


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_writes_the_checked_and_the_rest_as_not_checked(
    fake_wiki, user, tmp_path, ctrl_c_once
):
    fake_wiki.latency_ms = 300
    path = tmp_path / "pages.txt"
    path.write_text("\n".join(f"Slow {n}" for n in range(40)))
    output = tmp_path / "results.csv"

    with pytest.raises(CommandError) as failure:
        checkpages_run(str(path), "--user", "alice", "--output", str(output))

    batch = Batch.objects.get()
    statuses = [status for _, status in csv_outcomes(output.read_text(encoding="utf-8-sig"))]
    assert len(statuses) == 40
    assert statuses.count("cancelled") == batch.cancelled_count > 0
    assert str(failure.value) == (
        f"Interrupted: {batch.done} of 40 pages checked, written to {output}, the other "
        f"{batch.cancelled_count} as not checked; batch {batch.pk} cancelled."
    )


# --- As a real command line ----------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, fake_wiki, cli_database):
    """The environment of a real `manage.py checkpages`, on a migrated throwaway database."""
    database = tmp_path / "cli.sqlite3"
    with sqlite3.connect(cli_database) as source, sqlite3.connect(database) as copy:
        source.backup(copy)
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "WIKICHECK_ALLOWED_HOSTS": f"127.0.0.1:{fake_wiki.port}",
        "WIKICHECK_DEFAULT_WIKI": fake_wiki.wiki_url,
    }


@pytest.fixture(scope="module")
def cli_database(tmp_path_factory) -> Path:
    """A migrated database whose only user is the superuser "scripter", made once: migrating
    takes seconds, a copy of it none."""
    database = tmp_path_factory.mktemp("cli") / "migrated.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SUPERUSER_USERNAME": "scripter",
        "DJANGO_SUPERUSER_PASSWORD": "scripter-pass-123",
    }
    for command in (["migrate", "--noinput"], ["ensure_superuser"]):
        manage(*command, env=env).check_returncode()
    return database


def manage(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def stored_batches(env: dict[str, str]) -> list[tuple[str, str]]:
    with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        return db.execute("select status, owner_id from checks_batch").fetchall()


@pytest.mark.own_sqlite
def test_the_cli_checks_pages_piped_through_stdin(cli_env):
    done = manage("checkpages", "-", "--user", "scripter", env=cli_env, stdin=SEED_PAGES)

    assert done.returncode == 0, done.stderr
    assert csv_outcomes(done.stdout) == SEED_OUTCOMES
    assert done.stderr.startswith("Batch ")
    assert done.stderr.splitlines()[1:] == [
        "Missing or failed:",
        "  missing  this page does not exist",
    ]
    assert "\r" not in done.stderr
    assert [status for status, _ in stored_batches(cli_env)] == ["finished"]


@pytest.mark.own_sqlite
def test_the_cli_fails_on_a_status_with_1_and_a_plain_message_after_the_results(cli_env):
    done = manage(
        *("checkpages", "-", "--user", "scripter", "--fail-on", "missing"),
        env=cli_env,
        stdin=SEED_PAGES,
    )

    assert done.returncode == 1
    assert csv_outcomes(done.stdout) == SEED_OUTCOMES
    assert done.stderr.endswith("\nFailing as --fail-on asks: 1 missing.\n")
    assert "CommandError" not in done.stderr


@pytest.mark.own_sqlite
def test_the_cli_ends_with_its_output_file_whole_and_the_process_registry_left(cli_env, tmp_path):
    output = tmp_path / "results.csv"

    done = manage(
        *("checkpages", "-", "--user", "scripter", "--output", str(output)),
        env=cli_env,
        stdin=SEED_PAGES,
    )

    assert done.returncode == 0, done.stderr
    assert csv_outcomes(output.read_text()) == SEED_OUTCOMES
    database = cli_env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        registered = db.execute("select count(*) from checks_checkprocess").fetchone()[0]
    assert registered == 0


@pytest.mark.own_sqlite
def test_the_cli_exits_with_2_on_a_bad_line_and_stores_nothing(cli_env):
    done = manage(
        "checkpages",
        "-",
        "--user",
        "scripter",
        env=cli_env,
        stdin="Ocean\nhttp://169.254.169.254/latest/meta-data/\n",
    )

    assert done.returncode == 2
    assert "\nLine 2: " in done.stderr
    assert done.stdout == ""
    assert stored_batches(cli_env) == []


@pytest.mark.parametrize(
    ("stop", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
@pytest.mark.own_sqlite
def test_the_cli_stops_on_ctrl_c_or_sigterm_storing_its_checks_in_flight(
    cli_env, fake_wiki, tmp_path, stop, exit_code
):
    fake_wiki.latency_ms = 500
    path = tmp_path / "pages.txt"
    path.write_text("\n".join(f"Slow {n}" for n in range(20)))
    with path.open() as stdin:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "checkpages", "-", "--user", "scripter"],
            cwd=ROOT,
            env={**cli_env, "WIKICHECK_MAX_WORKERS": "2"},
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    wait_until(lambda: fake_wiki.requests_total > 0)

    process.send_signal(stop)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == exit_code, stderr
    assert stderr.startswith("Interrupted: ")
    assert "written to stdout" in stderr
    assert len(csv_outcomes(stdout)) == 20
    assert [status for status, _ in stored_batches(cli_env)] == ["cancelled"]
    database = cli_env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        statuses = dict(db.execute("select status, count(*) from checks_result group by status"))
        registered = db.execute("select count(*) from checks_checkprocess").fetchone()[0]
    assert "running" not in statuses, "the checks in flight were stored"
    assert statuses.get("exists", 0) >= 1
    assert registered == 0, "the command left the process registry"


def checked_count(env: dict[str, str]) -> int:
    """How many pages the command's batch has checked so far."""
    with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        row = db.execute("select done from checks_batch").fetchone()
    return row[0] if row else 0


@pytest.mark.own_sqlite
def test_the_cli_writes_what_it_checked_to_its_output_on_ctrl_c(cli_env, fake_wiki, tmp_path):
    fake_wiki.latency_ms = 300
    path, output = tmp_path / "pages.txt", tmp_path / "results.json"
    path.write_text("\n".join(f"Slow {n}" for n in range(40)))
    process = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "checkpages", str(path), "--user", "scripter"),
            *("--format", "json", "--output", str(output)),
        ],
        cwd=ROOT,
        env={**cli_env, "WIKICHECK_MAX_WORKERS": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    checked = wait_until(lambda: checked_count(cli_env))

    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)

    document = json.loads(output.read_bytes())
    statuses = [result["status"] for result in document["results"]]
    counts = document["batch"]["counts"]
    assert process.returncode == 130, stderr
    assert stdout == ""
    assert len(statuses) == 40
    assert statuses.count("exists") == counts["exists"] >= checked
    assert statuses.count("cancelled") == counts["cancelled"] == 40 - counts["exists"]
    assert stderr == (
        f"Interrupted: {counts['exists']} of 40 pages checked, written to {output}, the other "
        f"{counts['cancelled']} as not checked; batch {document['batch']['id']} cancelled.\n"
    )


@pytest.mark.own_sqlite
def test_the_cli_ends_quietly_when_its_reader_stops_early(cli_env, tmp_path):
    path = tmp_path / "pages.txt"
    # Three chunks of output: whatever the first write does, a later one finds the pipe closed.
    path.write_text("\n".join(f"Page {n}" for n in range(1100)))
    with path.open() as stdin:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "checkpages", "-", "--user", "scripter"],
            cwd=ROOT,
            env=cli_env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    process.stdout.read(10)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)

    assert process.returncode == 141
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert [status for status, _ in stored_batches(cli_env)] == ["finished"]


# --- A list that lives on the wiki ---------------------------------------------------------------


@pytest.fixture
def api_wiki(fake_wiki, settings):
    settings.WIKICHECK_API_PATHS = [(f"127.0.0.1:{fake_wiki.port}", "/w/api.php")]
    return fake_wiki


@pytest.mark.django_db(transaction=True)
def test_links_of_writes_a_row_per_linked_page(api_wiki, user):
    stdout, _ = checkpages_run("--links-of", "Links 20", "--user", "alice")

    outcomes = dict(csv_outcomes(stdout))
    assert len(outcomes) == 20
    assert (outcomes["Linked 1"], outcomes["Missing linked 10"]) == ("exists", "missing")
    assert Batch.objects.get().source_kind == "links"
    assert dict(api_wiki.api_generator_requests) == {"links": 1}


@pytest.mark.django_db(transaction=True)
def test_namespaces_keep_the_links_in_those_namespaces(api_wiki, user):
    stdout, _ = checkpages_run("--links-of", "Links 30", "--namespaces", "1", "--user", "alice")

    assert csv_outcomes(stdout) == [("Talk:Linked 15", "exists")]


@pytest.mark.django_db(transaction=True)
def test_category_writes_a_row_per_member(api_wiki, user):
    stdout, _ = checkpages_run("--category", "Members 12", "--user", "alice", "--format", "json")

    results = json_results(stdout)
    assert len(results) == 12
    assert {result["status"] for result in results} == {"exists"}


@pytest.mark.django_db
def test_a_missing_source_exits_with_2_naming_the_option_and_stores_nothing(api_wiki, user):
    with pytest.raises(CommandError) as failure:
        checkpages_run("--category", "Members that does not exist", "--user", "alice")

    assert failure.value.returncode == 2
    assert "\n--category: the category Category:Members that does not exist does not exist" in (
        str(failure.value)
    )
    assert Batch.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [(), ("--links-of", "Links 5", "--category", "Members 5"), ("FILE", "--links-of", "Links 5")],
)
def test_exactly_one_list_is_required(api_wiki, user, pages, args):
    args = tuple(str(pages) if arg == "FILE" else arg for arg in args)

    with pytest.raises(CommandError) as failure:
        checkpages_run(*args, "--user", "alice")

    assert failure.value.returncode == 2
    assert "Give exactly one list to check" in str(failure.value)
    assert Batch.objects.count() == 0
