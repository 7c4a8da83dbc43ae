"""Reading what a user entered into lines: pasted text, uploaded .txt and .csv files and the
files given to `checkpages`, decoded as UTF-8 and numbered as the user sees them."""

import csv
import io
import re
from collections.abc import Iterator
from pathlib import PurePath

# Only these end a line, as in an editor: str.splitlines() would also split at form feeds,
# U+0085 or U+2028, shifting every later line number and hiding those characters from the parser.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A first CSV row that is one of these is a header, not a page.
CSV_HEADERS = frozenset({"url", "urls", "title", "titles", "page", "pages"})


class UnreadableText(ValueError):
    """Input that cannot be read as lines at all; `line` is where it fails, counted from 1."""

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(message)
        self.line = line


def text_decode(data: bytes) -> str:
    """`data` as UTF-8 text, a byte order mark dropped; UnreadableText naming the first line
    that is not UTF-8."""
    try:
        # A surrogate encoded as if it were a character is decoded, so that the parser can
        # name it and its line.
        return data.decode("utf-8-sig", errors="surrogatepass")
    except UnicodeDecodeError as exc:
        number = len(lines_split(exc.object[: exc.start].decode(errors="surrogatepass")))
        raise UnreadableText(
            "not UTF-8 text (a binary file, or another encoding). Save the file as UTF-8.",
            line=number,
        ) from None


def file_lines(*, name: str, data: bytes) -> list[str]:
    """The entries of an uploaded file, one per file line: a .csv file's first column, any
    other file's lines."""
    text = text_decode(data)
    if PurePath(name).suffix.lower() == ".csv":
        return csv_first_column(text)
    return lines_split(text)


def lines_split(text: str) -> list[str]:
    return LINE_BREAK.split(text)


def lines_numbered(lines: str | list[str] | None) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based line numbers."""
    if isinstance(lines, str):
        lines = lines_split(lines)
    for number, line in enumerate(lines or [], start=1):
        if line.strip():
            yield number, line


def csv_first_column(text: str) -> list[str]:
    """The first cell of each row, at the index of the file line the row starts on.

    A quoted cell may span lines; its newline is kept (and refused by the parser), and the
    lines it spans stay blank, so the rows after it keep their own line numbers.
    """
    lines = [""] * len(lines_split(text))
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 0
    try:
        for row in reader:
            if row:
                lines[start] = row[0]
            start = reader.line_num
    except csv.Error as exc:
        raise UnreadableText(f"the CSV file cannot be read: {exc}.", line=reader.line_num) from None
    if lines and lines[0].strip().lower() in CSV_HEADERS:
        lines[0] = ""
    return lines
