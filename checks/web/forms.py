"""The submission form: pasted or uploaded lines in, a list of distinct normalized entries out
(titles MediaWiki forbids among them, counted), and how the pages lay its fields out."""

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from checks import conf
from checks.engine.units import session_get
from checks.intake.collector import collector_paused
from checks.intake.parsing import EXAMPLE_WIKI, Entry, entries_merge, entry_parse, wiki_normalize
from checks.intake.reading import UnreadableText, file_lines, lines_numbered, lines_split
from checks.intake.sources import SourcePages, SourceUnreadable, namespaces_parse, source_read
from checks.models import NAME_LENGTH, Batch

# How many line errors are spelled out; more would bury the form.
MAX_ERRORS_SHOWN = 10
UPLOAD_SUFFIXES = (".txt", ".csv")
# How a line of each field is named in messages.
LINE_LABELS = {"urls": "Line", "file": "File line"}
# The fields naming a list that lives on the wiki, and the kind of source each names.
SOURCE_FIELDS = {"links_of": "links", "category": "category"}
ONE_LIST = "Give one list to check: pages or a file, a page's links, or a category's members."
SOURCE_NEEDS_API = "A page's links or a category's members are read through the API: choose it."


@dataclass(frozen=True)
class LineError:
    """A line the parser refused: the field it came from, its number from 1, and why."""

    field: str
    number: int
    message: str

    def __str__(self) -> str:
        return f"{LINE_LABELS[self.field]} {self.number}: {self.message}"


class LinesField(forms.CharField):
    """Text checked line by line: kept verbatim, so reported line numbers match the user's."""

    def __init__(self, **kwargs) -> None:
        # Stripping would drop leading blank lines and shift the numbers of all the others.
        super().__init__(strip=False, **kwargs)
        # The parser refuses NUL with the other control characters, naming the line.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ]


class BatchForm(forms.Form):
    # WIKICHECK_MAX_UPLOAD_BYTES guards the web server's memory; checkpages, which reads a file
    # of its own, has nothing to guard.
    upload_limited = True
    # Behind "More options" on the pages: their defaults suit most batches.
    option_names = ("wiki", "mode", "timeout")
    # After the options, just before the button: a name comes to mind once the pages are in.
    closing_names = ("name",)

    urls = LinesField(
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
    links_of = forms.CharField(
        label="Or every link of the page",
        required=False,
        help_text="A page's title or URL: each page it links to is checked (API mode).",
    )
    namespaces = forms.CharField(
        label="Only links in namespaces",
        required=False,
        help_text="Namespace numbers separated by commas, e.g. 0,14. Empty: all.",
    )
    category = forms.CharField(
        label="Or every member of the category",
        required=False,
        help_text="A category's title or URL; “Category:” is added when missing (API mode).",
    )
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=NAME_LENGTH,
        help_text="Optional. Without one, the batch is named after its first pages.",
    )
    wiki = forms.CharField(
        label="Wiki for bare titles",
        max_length=255,
        help_text="Titles without a URL are looked up here.",
        error_messages={
            "required": f"Enter the wiki that bare titles are looked up on, e.g. {EXAMPLE_WIKI}"
        },
    )
    mode = forms.ChoiceField(
        label="How to check",
        required=False,
        choices=Batch.Mode.choices,
        initial=Batch.Mode.API,
        widget=forms.RadioSelect,
        help_text="The API is much faster and gentler on the wiki; hosts without one are "
        "always checked page by page.",
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
        # Every refused line, also when only the first MAX_ERRORS_SHOWN are spelled out.
        self.line_errors: list[LineError] = []
        # Lines whose title MediaWiki forbids: invalid rows of the batch, not errors.
        self.invalid_lines = 0
        self.source: SourcePages | None = None  # the list read from the wiki, if one is named
        self.fields["wiki"].initial = conf.current().default_wiki
        self.fields["file"].widget.attrs["accept"] = ",".join(UPLOAD_SUFFIXES)

    def clean_wiki(self) -> str:
        try:
            return wiki_normalize(
                self.cleaned_data["wiki"], allowed_hosts=conf.current().allowed_hosts
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def submission(self) -> dict:
        """What batch_create() needs from a valid form, besides the owner."""
        fields = ("entries", "wiki", "mode", "timeout", "duplicates", "name")
        return {name: self.cleaned_data[name] for name in fields} | {"source": self.source}

    def clean_namespaces(self) -> tuple[int, ...]:
        try:
            return namespaces_parse(self.cleaned_data["namespaces"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_mode(self) -> str:
        return self.cleaned_data["mode"] or Batch.Mode.API

    def clean_file(self) -> list[str]:
        upload = self.cleaned_data.get("file")
        if not upload:
            return []
        if PurePath(upload.name).suffix.lower() not in UPLOAD_SUFFIXES:
            raise forms.ValidationError("Upload a .txt or .csv file.")
        limit = conf.current().max_upload_bytes
        if self.upload_limited and upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; at most {limit:,} bytes are accepted."
            )
        try:
            return file_lines(name=upload.name, data=upload.read())
        except UnreadableText as exc:
            raise forms.ValidationError(str(LineError("file", exc.line, str(exc)))) from None

    def clean(self) -> dict:
        cleaned = super().clean()
        lines = {"urls": lines_split(cleaned.get("urls", "")), "file": cleaned.get("file")}

        def numbered() -> Iterator[tuple[str, int, str]]:
            # Made again for each pass, not kept: a million lines would hold a million tuples.
            for field, field_lines in lines.items():
                yield from ((field, number, line) for number, line in lines_numbered(field_lines))

        count = sum(1 for _ in numbered())
        sources = [name for name in SOURCE_FIELDS if cleaned.get(name, "").strip()]
        if sources:
            return self._source_clean(cleaned, sources=sources, lines=bool(count))
        # Said even when another field is wrong too: a request with no fields at all would
        # otherwise only hear that the wiki is missing.
        if not count and "file" not in self.errors:
            raise forms.ValidationError("Enter at least one page URL or title, or upload a file.")
        if self.errors:
            return cleaned
        limit = conf.current().max_batch
        if count > limit:
            field, number, _ = next(itertools.islice(numbered(), limit, None))
            raise forms.ValidationError(
                f"{count:,} entries; a batch holds at most {limit:,}. "
                f"{LINE_LABELS[field]} {number} is the first over the limit: "
                "split it into several batches."
            )
        with collector_paused():
            entries = self._entries_parse(numbered(), wiki=cleaned["wiki"])
        if self.line_errors:
            shown = [str(error) for error in self.line_errors[:MAX_ERRORS_SHOWN]]
            hidden = len(self.line_errors) - MAX_ERRORS_SHOWN
            if hidden > 0:
                shown.append(f"…and {hidden} more lines with errors.")
            raise forms.ValidationError(shown)
        cleaned["entries"] = entries
        cleaned["duplicates"] = count - len(entries)
        return cleaned

    def _source_clean(self, cleaned: dict, *, sources: list[str], lines: bool) -> dict:
        """Read the one source named: its pages, with their outcomes, are the batch."""
        if len(sources) > 1 or lines or "file" in self.errors:
            raise forms.ValidationError(ONE_LIST)
        if cleaned.get("mode", Batch.Mode.API) != Batch.Mode.API:
            self.add_error("mode", SOURCE_NEEDS_API)
        if self.errors:
            return cleaned
        try:
            self.source = source_read(
                kind=SOURCE_FIELDS[sources[0]],
                text=cleaned[sources[0]].strip(),
                wiki=cleaned["wiki"],
                namespaces=cleaned["namespaces"],
                session=session_get(),
                config=conf.current(),
            )
        except SourceUnreadable as exc:
            self.add_error(sources[0], str(exc))
        return cleaned | {"entries": [], "duplicates": 0}

    def _entries_parse(self, numbered: Iterable[tuple[str, int, str]], *, wiki: str) -> list[Entry]:
        """The distinct entries of the lines, in order, each with the text of its first line
        and the numbers of all its lines; refused lines go to `line_errors`, and so do forbidden
        titles under WIKICHECK_STRICT_TITLES (else they are counted)."""
        config = conf.current()
        self.line_errors, self.invalid_lines = [], 0
        parsed = []
        for field, number, line in numbered:
            try:
                entry = entry_parse(
                    line, wiki=wiki, allowed_hosts=config.allowed_hosts, lines=(number,)
                )
            except ValueError as exc:
                self.line_errors.append(LineError(field, number, str(exc)))
                continue
            if entry.invalid_reason and config.strict_titles:
                self.line_errors.append(LineError(field, number, entry.invalid_reason))
                continue
            self.invalid_lines += bool(entry.invalid_reason)
            parsed.append(entry)
        return entries_merge(parsed)

    # --- How the pages lay the form out ---------------------------------------------------------

    def fields_before_options(self) -> list[forms.BoundField]:
        return [
            field
            for field in self
            if field.name not in self.option_names and field.name not in self.closing_names
        ]

    def fields_in_options(self) -> list[forms.BoundField]:
        return [self[name] for name in self.option_names]

    def fields_after_options(self) -> list[forms.BoundField]:
        return [self[name] for name in self.closing_names]

    def options_open(self) -> bool:
        """Whether "More options" starts open: when one of them has an error or a value other
        than its default, so that nothing the user set is hidden. An empty value is the
        default (the server's timeout, the API) or an error (the wiki)."""

        def user_set(field: forms.BoundField) -> bool:
            value = field.value()
            return value not in ("", None) and str(value) != str(field.field.initial)

        return any(self[name].errors or user_set(self[name]) for name in self.option_names)

    def file_again_message(self) -> str:
        """What to say by the file field after an error, when a file was uploaded: a browser
        never fills a file field again, so the user must choose it again; "" otherwise."""
        upload = self.files.get("file")
        if upload is None or not self.errors:
            return ""
        in_file = "file" in self.errors or any(error.field == "file" for error in self.line_errors)
        if in_file:
            return (
                f"Choose {upload.name} again once corrected: the browser does not keep a file "
                "after an error."
            )
        return (
            f"{upload.name} was read; the error is elsewhere. Choose it again: the browser "
            "does not keep a file after an error."
        )

    def invalid_lines_message(self) -> str:
        """What to tell the user about the lines that became invalid rows; "" for none."""
        if not self.invalid_lines:
            return ""
        if self.invalid_lines == 1:
            return "1 line is not a valid title; it is listed as an invalid title in the batch."
        return (
            f"{self.invalid_lines:,} lines are not valid titles; they are listed as invalid "
            "titles in the batch."
        )
