"""The submission form: pasted or uploaded lines in, a list of distinct normalized entries out."""

import csv
from collections.abc import Iterator
from pathlib import PurePath

from django import forms
from django.conf import settings

from checks.parsing import Entry, entry_parse, wiki_normalize

# How many line errors are spelled out; more would bury the form.
MAX_ERRORS_SHOWN = 10
UPLOAD_SUFFIXES = (".txt", ".csv")
# A first CSV row that is one of these is a header, not a page.
CSV_HEADERS = frozenset({"url", "urls", "title", "titles", "page", "pages"})


class BatchForm(forms.Form):
    urls = forms.CharField(
        label="Pages",
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 10,
                "placeholder": "https://en.wikipedia.org/wiki/Ocean\nIsland\nSea water",
                "spellcheck": "false",
            }
        ),
        help_text="One page URL or title per line. Blank lines are ignored, duplicates merged.",
    )
    file = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text="A .txt file with one entry per line, or a .csv file with entries in its "
        "first column (UTF-8).",
    )
    wiki = forms.CharField(
        label="Wiki for bare titles",
        max_length=255,
        help_text="Titles without a URL are looked up here.",
    )
    timeout = forms.FloatField(
        label="Timeout (seconds)",
        required=False,
        min_value=0.001,
        max_value=120,
        help_text="Connect and read timeout for each request. Empty: the server's default.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wiki"].initial = settings.WIKICHECK_DEFAULT_WIKI
        self.fields["file"].widget.attrs["accept"] = ",".join(UPLOAD_SUFFIXES)

    def clean_wiki(self) -> str:
        try:
            return wiki_normalize(
                self.cleaned_data["wiki"], allowed_hosts=settings.WIKICHECK_ALLOWED_HOSTS
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_file(self) -> list[str]:
        upload = self.cleaned_data.get("file")
        if not upload:
            return []
        if PurePath(upload.name).suffix.lower() not in UPLOAD_SUFFIXES:
            raise forms.ValidationError("Upload a .txt or .csv file.")
        limit = settings.WIKICHECK_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; at most {limit:,} bytes are accepted."
            )
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        if upload.name.lower().endswith(".csv"):
            try:
                return _csv_first_column(text)
            except csv.Error as exc:
                raise forms.ValidationError(f"The CSV file cannot be read: {exc}.") from None
        return text.splitlines()

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        numbered = [
            *(("Line", number, line) for number, line in _numbered(cleaned.get("urls", ""))),
            *(("File line", number, line) for number, line in _numbered(cleaned.get("file"))),
        ]
        if not numbered:
            raise forms.ValidationError("Enter at least one page URL or title, or upload a file.")
        if len(numbered) > settings.WIKICHECK_MAX_BATCH:
            raise forms.ValidationError(
                f"{len(numbered):,} entries; a batch holds at most "
                f"{settings.WIKICHECK_MAX_BATCH:,}. Split it into several batches."
            )
        entries: dict[str, Entry] = {}
        errors: list[str] = []
        for label, number, line in numbered:
            try:
                entry = entry_parse(
                    line, wiki=cleaned["wiki"], allowed_hosts=settings.WIKICHECK_ALLOWED_HOSTS
                )
            except ValueError as exc:
                errors.append(f"{label} {number}: {exc}")
                continue
            entries.setdefault(entry.url, entry)
        if errors:
            shown = errors[:MAX_ERRORS_SHOWN]
            if len(errors) > MAX_ERRORS_SHOWN:
                shown.append(f"…and {len(errors) - MAX_ERRORS_SHOWN} more lines with errors.")
            raise forms.ValidationError(shown)
        cleaned["entries"] = list(entries.values())
        cleaned["duplicates"] = len(numbered) - len(entries)
        return cleaned


def _numbered(lines: str | list[str] | None) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based line numbers."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    for number, line in enumerate(lines or [], start=1):
        if line.strip():
            yield number, line


def _csv_first_column(text: str) -> list[str]:
    rows = [row[0] if row else "" for row in csv.reader(text.splitlines())]
    if rows and rows[0].strip().lower() in CSV_HEADERS:
        rows[0] = ""
    return rows
