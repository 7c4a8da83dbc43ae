"""Reading entered text into numbered lines, as the form and `checkpages` both do."""

import pytest

from checks.intake.reading import (
    UnreadableText,
    csv_first_column,
    file_lines,
    lines_numbered,
    text_decode,
)


def test_utf8_text_is_decoded_without_its_byte_order_mark():
    text = text_decode("\ufeffOcean\nCafé\n".encode())

    assert text == "Ocean\nCafé\n"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        pytest.param(b"Caf\xe9\n", 1, id="first-line"),
        pytest.param(b"Ocean\r\nIsland\rCaf\xe9\n", 3, id="after-crlf-and-cr"),
        pytest.param(b"\xef\xbb\xbfOcean\nCaf\xe9", 2, id="after-a-byte-order-mark"),
    ],
)
def test_text_that_is_not_utf8_names_its_first_bad_line(data, line):
    with pytest.raises(UnreadableText) as refused:
        text_decode(data)

    assert refused.value.line == line
    assert str(refused.value) == (
        "not UTF-8 text (a binary file, or another encoding). Save the file as UTF-8."
    )


def test_an_encoded_lone_surrogate_is_decoded_for_the_parser_to_name():
    text = text_decode(b"Sea\xed\xa0\x80water")

    assert text == "Sea\ud800water"


def test_numbered_lines_skip_blank_lines_but_count_them():
    numbered = list(lines_numbered("\nOcean\r\n  \rIsland"))

    assert numbered == [(2, "Ocean"), (4, "Island")]


def test_only_cr_and_lf_end_a_line():
    numbered = list(lines_numbered("Ocean\x0cIsland\u2028Sea\nLake"))

    assert numbered == [(1, "Ocean\x0cIsland\u2028Sea"), (2, "Lake")]


def test_a_csv_file_gives_its_first_column_without_a_header():
    lines = file_lines(name="pages.CSV", data=b"url,note\nOcean,big\n\nIsland,small\n")

    assert list(lines_numbered(lines)) == [(2, "Ocean"), (4, "Island")]


def test_a_text_file_gives_its_lines():
    lines = file_lines(name="pages.txt", data=b"url\nOcean\n")

    assert list(lines_numbered(lines)) == [(1, "url"), (2, "Ocean")]


def test_a_csv_cell_spanning_lines_keeps_the_numbers_of_the_rows_after_it():
    lines = csv_first_column('"Sea\nwater",x\nOcean\n')

    assert list(lines_numbered(lines)) == [(1, "Sea\nwater"), (3, "Ocean")]


def test_an_unreadable_csv_file_names_the_line():
    # A field longer than the csv module's limit.
    with pytest.raises(UnreadableText) as refused:
        csv_first_column("Ocean\n" + "x" * 200_000 + "\n")

    assert refused.value.line == 2
    assert str(refused.value).startswith("the CSV file cannot be read: ")
