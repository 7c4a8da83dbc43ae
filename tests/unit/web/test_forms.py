import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from checks.web.forms import BatchForm

WIKI = "https://en.wikipedia.org/wiki/"
OFF_LIST = "https://evil.example/wiki/X"
BRACKET_REASON = 'The requested page title contains invalid characters: "[".'


def form_for(urls: str = "", *, upload: SimpleUploadedFile | None = None, **fields) -> BatchForm:
    data = {"urls": urls, "wiki": WIKI, **fields}
    return BatchForm(data, {"file": upload} if upload else {})


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_lines_become_normalized_entries_in_submission_order():
    form = form_for(
        "https://en.m.wikipedia.org/wiki/Sea%20water\n\nCafé\n/w/index.php?title=Ocean\n"
    )

    assert form.is_valid(), form.errors
    assert [e.url for e in form.cleaned_data["entries"]] == [
        "https://en.wikipedia.org/wiki/Sea_water",
        "https://en.wikipedia.org/wiki/Caf%C3%A9",
        "https://en.wikipedia.org/wiki/Ocean",
    ]


def test_duplicates_are_merged_keeping_the_first_and_counted():
    form = form_for("Ocean\nSea_water\nhttps://en.wikipedia.org/wiki/Ocean\nSea water\n")

    assert form.is_valid(), form.errors
    assert [e.title for e in form.cleaned_data["entries"]] == ["Ocean", "Sea water"]
    assert form.cleaned_data["duplicates"] == 2


def test_each_entry_keeps_its_line_numbers_and_its_first_line_as_typed():
    form = form_for("\n  /wiki/Ocean \nIsland\n\nhttps://en.wikipedia.org/wiki/Ocean\nOcean\n")

    assert form.is_valid(), form.errors
    assert [(e.title, e.lines, e.typed) for e in form.cleaned_data["entries"]] == [
        ("Ocean", (2, 5, 6), "/wiki/Ocean"),
        ("Island", (3,), "Island"),
    ]


def test_a_forbidden_title_keeps_its_lines_too():
    form = form_for("Foo[bar\nOcean\nFoo[bar\n")

    assert form.is_valid(), form.errors
    assert [(e.typed, e.lines) for e in form.cleaned_data["entries"]] == [
        ("Foo[bar", (1, 3)),
        ("Ocean", (2,)),
    ]


def test_every_bad_line_is_named_with_its_number():
    form = form_for(f"Ocean\n{OFF_LIST}\nIsland\nhttps://en.wikipedia.org/foo\n")

    assert not form.is_valid()
    errors = form.non_field_errors()
    assert len(errors) == 2
    assert errors[0].startswith("Line 2: ")
    assert errors[1].startswith("Line 4: ")


def test_many_bad_lines_are_summarised_after_ten():
    form = form_for("\n".join(OFF_LIST for _ in range(25)))

    assert not form.is_valid()
    errors = form.non_field_errors()
    assert len(errors) == 11
    assert errors[-1] == "…and 15 more lines with errors."


def test_line_numbers_count_leading_blank_lines():
    form = form_for(f"\n\r\n  \nOcean\n{OFF_LIST}\n")

    assert not form.is_valid()
    assert form.non_field_errors()[0].startswith("Line 5: ")


@pytest.mark.parametrize("separator", ["\x0c", "\x85", "\x1e"])
def test_only_cr_and_lf_end_a_line(separator):
    form = form_for(f"Ocean{separator}Island\n{OFF_LIST}")

    assert not form.is_valid()
    assert [error.split(":")[0] for error in form.non_field_errors()] == ["Line 1", "Line 2"]


def test_nul_in_pasted_text_is_refused_naming_the_line():
    form = form_for("Ocean\nSea\x00water\n")

    assert not form.is_valid()
    assert form.errors == {"__all__": ["Line 2: line contains a control character"]}


@pytest.mark.parametrize("urls", ["", "   \n\t\n"])
def test_empty_submission_is_refused(urls):
    form = form_for(urls)

    assert not form.is_valid()
    assert "Enter at least one page" in form.non_field_errors()[0]


def test_more_entries_than_the_batch_limit_are_refused(settings):
    settings.WIKICHECK_MAX_BATCH = 3

    form = form_for("A\nB\nC\nD\n")

    assert not form.is_valid()
    assert (
        "4 entries; a batch holds at most 3. Line 4 is the first over" in form.non_field_errors()[0]
    )


def test_wiki_outside_the_allow_list_is_refused():
    form = form_for("Ocean", wiki="https://evil.example/wiki/")

    assert not form.is_valid()
    assert "evil.example" in form.errors["wiki"][0]


def test_bare_titles_use_the_chosen_wiki():
    form = form_for("Meer", wiki="https://de.wikipedia.org/wiki/")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["entries"][0].url == "https://de.wikipedia.org/wiki/Meer"


@pytest.mark.parametrize("timeout", ["0", "-1", "500", "abc"])
def test_timeout_out_of_range_is_refused(timeout):
    form = form_for("Ocean", timeout=timeout)

    assert not form.is_valid()
    assert "timeout" in form.errors


# --- Uploads -----------------------------------------------------------------------------------


def test_text_file_lines_are_numbered_as_file_lines():
    form = form_for(upload=upload("pages.txt", b"Ocean\n\nhttps://evil.example/\n"))

    assert not form.is_valid()
    assert form.non_field_errors()[0].startswith("File line 3: ")


def test_pasted_lines_and_file_lines_are_combined():
    form = form_for("Ocean\n", upload=upload("pages.txt", "\ufeffIsland\nOcean\n".encode()))

    assert form.is_valid(), form.errors
    assert [e.title for e in form.cleaned_data["entries"]] == ["Ocean", "Island"]
    assert form.cleaned_data["duplicates"] == 1


def test_csv_file_uses_the_first_column_and_skips_a_header():
    content = b'url,note\n"Washington, D.C.",capital\nhttps://en.wikipedia.org/wiki/Ocean,x\n'

    form = form_for(upload=upload("pages.csv", content))

    assert form.is_valid(), form.errors
    assert [e.title for e in form.cleaned_data["entries"]] == ["Washington, D.C.", "Ocean"]


def test_csv_entries_are_numbered_by_the_file_line_their_row_starts_on():
    content = b'url,note\nOcean,"two\nlines"\nIsland,x\n\n"Washington, D.C.",y\n /wiki/Ocean,z\n'

    form = form_for(upload=upload("pages.csv", content))

    assert form.is_valid(), form.errors
    assert [(e.title, e.lines, e.typed) for e in form.cleaned_data["entries"]] == [
        ("Ocean", (2, 7), "Ocean"),
        ("Island", (4,), "Island"),
        ("Washington, D.C.", (6,), "Washington, D.C."),
    ]


def test_file_that_is_not_utf8_is_refused_naming_the_first_bad_line():
    form = form_for(upload=upload("pages.txt", "Ocean\r\n\nCafé\n".encode("latin-1")))

    assert not form.is_valid()
    assert form.errors["file"][0].startswith("File line 3: not UTF-8 text")


def test_csv_cell_spanning_lines_keeps_later_line_numbers():
    content = b'"Ocean\nIsland",x\nShark\nhttps://evil.example/\n'

    form = form_for(upload=upload("pages.csv", content))

    assert not form.is_valid()
    assert [error.split(":")[0] for error in form.non_field_errors()] == [
        "File line 1",
        "File line 4",
    ]


def test_unreadable_csv_names_the_line():
    content = b"Ocean\n" + b"x" * 200_000 + b"\n"

    form = form_for(upload=upload("pages.csv", content))

    assert not form.is_valid()
    assert form.errors["file"][0].startswith("File line 2: the CSV file cannot be read")


def test_file_of_another_type_is_refused():
    form = form_for(upload=upload("pages.pdf", b"%PDF-1.4"))

    assert not form.is_valid()
    assert form.errors["file"] == ["Upload a .txt or .csv file."]


def test_file_over_the_size_limit_is_refused(settings):
    settings.WIKICHECK_MAX_UPLOAD_BYTES = 100

    form = form_for(upload=upload("pages.txt", b"Ocean\n" * 50))

    assert not form.is_valid()
    assert "at most 100 bytes" in form.errors["file"][0]


def test_a_lone_surrogate_is_refused_naming_the_line_and_the_character():
    form = form_for("Ocean\nIsland\nSea\ud800water\n")

    assert not form.is_valid()
    assert form.errors == {
        "__all__": ["Line 3: line contains a character that is not valid text (U+D800)"]
    }


def test_an_uploaded_lone_surrogate_is_refused_naming_the_file_line_and_the_character():
    form = form_for(upload=upload("pages.txt", b"Ocean\nIsland\nSea\xed\xa0\x80water\n"))

    assert not form.is_valid()
    assert form.errors == {
        "__all__": ["File line 3: line contains a character that is not valid text (U+D800)"]
    }


# --- Titles MediaWiki forbids -------------------------------------------------------------------


def test_forbidden_titles_become_entries_with_their_reason_and_are_counted():
    form = form_for("Ocean\nFoo[bar\n~~~~\nFoo[bar\n")

    assert form.is_valid(), form.errors
    assert [(e.title, bool(e.invalid_reason)) for e in form.cleaned_data["entries"]] == [
        ("Ocean", False),
        ("Foo[bar", True),
        ("~~~~", True),
    ]
    assert form.cleaned_data["entries"][1].invalid_reason == BRACKET_REASON
    assert form.invalid_lines == 3
    assert form.invalid_lines_message() == (
        "3 lines are not valid titles; they are listed as invalid titles in the batch."
    )


def test_one_forbidden_title_is_told_in_the_singular():
    form = form_for("Ocean\nTalk:\n")

    assert form.is_valid(), form.errors
    assert form.invalid_lines_message() == (
        "1 line is not a valid title; it is listed as an invalid title in the batch."
    )


def test_valid_titles_need_no_message():
    form = form_for("Ocean\nfile:foo.png\nAbout: Schmidt\n")

    assert form.is_valid(), form.errors
    assert (form.invalid_lines, form.invalid_lines_message()) == (0, "")


def test_a_replacement_character_left_by_invalid_text_is_an_invalid_title():
    form = form_for("Ocean\nSea\ufffdwater\n")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["entries"][1].invalid_reason == (
        "The requested page title contains an invalid UTF-8 sequence."
    )


def test_a_line_off_the_allow_list_still_refuses_the_submission_beside_forbidden_titles():
    form = form_for(f"Foo[bar\n{OFF_LIST}\n")

    assert not form.is_valid()
    assert form.non_field_errors() == ["Line 2: host evil.example is not an allowed wiki host"]


def test_strict_titles_refuse_the_submission_naming_each_forbidden_line(settings):
    settings.WIKICHECK_STRICT_TITLES = True

    form = form_for("Ocean\nFoo[bar\nIsland\nTalk:\n")

    assert not form.is_valid()
    assert form.non_field_errors() == [
        f"Line 2: {BRACKET_REASON}",
        "Line 4: The requested page title is empty or contains only the name of a namespace.",
    ]


# --- A list that lives on the wiki (read through the network in tests/integration/test_sources.py)


def test_lines_and_a_source_together_are_refused_before_the_wiki_is_asked():
    form = form_for("Ocean", links_of="Links 20")

    assert not form.is_valid()
    assert form.non_field_errors() == [
        "Give one list to check: pages or a file, a page's links, or a category's members."
    ]


def test_two_sources_together_are_refused():
    form = form_for(links_of="Links 20", category="Members 5")

    assert not form.is_valid()
    assert form.non_field_errors()


def test_a_source_in_page_mode_is_refused_naming_the_mode():
    form = form_for(category="Members 5", mode="page")

    assert not form.is_valid()
    assert form.errors["mode"] == [
        "A page's links or a category's members are read through the API: choose it."
    ]


@pytest.mark.parametrize("namespaces", ["main", "0;14", "-1"])
def test_namespaces_must_be_numbers_separated_by_commas(namespaces):
    form = form_for(links_of="Links 20", namespaces=namespaces)

    assert not form.is_valid()
    assert form.errors["namespaces"] == [
        "Namespaces are namespace numbers separated by commas, e.g. 0,14 (empty: all)."
    ]


def test_a_source_title_mediawiki_forbids_is_refused_naming_its_reason():
    form = form_for(links_of="Foo[bar")

    assert not form.is_valid()
    assert form.errors["links_of"] == [f"'Foo[bar' is not a valid title: {BRACKET_REASON}"]
