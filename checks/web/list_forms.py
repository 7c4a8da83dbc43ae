"""The saved-list form: the submit form's pages or source, wiki, mode and timeout, with the
list's name, schedule and webhook."""

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from checks import conf
from checks.intake.reading import lines_numbered
from checks.models import Batch, SavedList
from checks.probe.webhooks import webhook_refusal
from checks.web.forms import SOURCE_FIELDS, BatchForm

# A source kind, as the list stores it, and the form field that names it.
SOURCE_KIND_FIELDS = {kind: name for name, kind in SOURCE_FIELDS.items()}


class ListForm(BatchForm):
    name = forms.CharField(
        label="Name", max_length=200, help_text="How you will find the list again, e.g. a project."
    )
    schedule = forms.ChoiceField(
        label="Check it",
        choices=SavedList.Schedule.choices,
        initial=SavedList.Schedule.NONE,
        help_text="Each run is compared with the previous finished one.",
    )
    webhook = forms.CharField(
        label="Webhook URL",
        required=False,
        max_length=2048,
        help_text="Optional: gets a signed JSON POST of each run's changes.",
    )

    field_order = ["name", "urls", "file", "links_of", "namespaces", "category"]
    # The name heads the form (a list is found by it); its schedule and webhook, what makes it
    # a list, come last.
    closing_names = ("schedule", "webhook")

    def __init__(
        self, *args, owner: AbstractBaseUser, saved_list: SavedList | None = None, **kwargs
    ) -> None:
        if saved_list is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = list_initial(saved_list)
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.saved_list = saved_list

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the list a name.")
        others = SavedList.objects.filter(owner=self.owner, name=name)
        if self.saved_list is not None:
            others = others.exclude(pk=self.saved_list.pk)
        if others.exists():
            raise forms.ValidationError(f"You already have a list named “{name}”.")
        return name

    def clean_webhook(self) -> str:
        url = self.cleaned_data["webhook"].strip()
        if url:
            refusal = webhook_refusal(url, allowed_hosts=conf.current().webhook_hosts)
            if refusal:
                raise forms.ValidationError(refusal)
        return url

    def list_fields(self) -> dict:
        """What list_save() needs from a valid form, besides the owner."""
        data = self.cleaned_data
        source = self.source
        lines = [line for _, line in lines_numbered(data.get("urls", ""))]
        lines += [line for _, line in lines_numbered(data.get("file"))]
        return {
            "name": data["name"],
            "entries": "" if source else "\n".join(lines),
            "source_kind": source.name.kind if source else "",
            "source": data[SOURCE_KIND_FIELDS[source.name.kind]].strip() if source else "",
            "source_namespaces": ",".join(map(str, data["namespaces"])) if source else "",
            "wiki": data["wiki"],
            "mode": data["mode"],
            "timeout": data["timeout"],
            "schedule": data["schedule"],
            "webhook": data["webhook"],
        }


def list_initial(saved_list: SavedList) -> dict:
    """The form's fields as the list has them."""
    initial = {
        "name": saved_list.name,
        "urls": saved_list.entries,
        "namespaces": saved_list.source_namespaces,
        "wiki": saved_list.wiki,
        "mode": saved_list.mode,
        "timeout": saved_list.timeout,
        "schedule": saved_list.schedule,
        "webhook": saved_list.webhook,
    }
    if saved_list.source_kind:
        initial[SOURCE_KIND_FIELDS[saved_list.source_kind]] = saved_list.source
    return initial


def batch_initial(batch: Batch) -> dict:
    """The form's fields for saving `batch` as a list: its entries, in their order, or its
    source; its wiki, mode and timeout."""
    initial = {
        "wiki": batch.wiki,
        "mode": batch.mode,
        "timeout": batch.timeout,
        "namespaces": batch.source_namespaces,
    }
    if batch.source_kind:
        initial[SOURCE_KIND_FIELDS[batch.source_kind]] = batch.source
    else:
        typed = batch.results.order_by("position").values_list("entry", "url")
        initial["urls"] = "\n".join(entry or url for entry, url in typed)
    return initial
