"""The history page's filters: a search, a status and a date range, each optional."""

from django import forms

from checks import conf
from checks.models import Batch
from checks.web.search import HistorySearch, history_search


class HistoryFilterForm(forms.Form):
    """The history page's GET filters; each one left empty (or invalid) filters nothing."""

    q = forms.CharField(
        label="Name, page URL or title contains", required=False, max_length=200, strip=True
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *Batch.Status.choices]
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    # The last search's outcome, for the page to say how far back it got; None without one.
    search: HistorySearch | None = None

    def clean(self) -> dict:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error(
                "until", f"“To” is before “From”: pick a To date on or after {since.isoformat()}."
            )
        return cleaned

    def batches(self, batches):
        """`batches` narrowed by the valid filters: a queryset, or with a search, the list of
        matching batches found within WIKICHECK_SEARCH_BUDGET_MS (see `search`)."""
        self.is_valid()
        filters = self.cleaned_data
        if filters.get("status"):
            batches = batches.filter(status=filters["status"])
        batches = batches.created_between(since=filters.get("since"), until=filters.get("until"))
        if filters.get("q"):
            self.search = history_search(
                batches=batches, text=filters["q"], budget_ms=conf.current().search_budget_ms
            )
            return self.search.batches
        return batches

    @property
    def is_filtering(self) -> bool:
        return any(self.data.get(name) for name in self.fields)
