"""The submit form and the list form as a page: "More options", the error summary, the file
asked for again, help and errors tied to their fields, the mode radios as a group."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checks.watch.lists import list_save

# Elements that never have an end tag.
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
# Every field's error at once: an empty wiki, a timeout that is no number, no pages.
ALL_WRONG = {"urls": "", "wiki": "", "timeout": "soon", "mode": "api"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: "Element | None"
    children: list["Element"] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text within the element, its children's included, spaces collapsed."""
        parts = [*self.texts, *(child.text for child in self.children)]
        return " ".join(" ".join(parts).split())

    def ancestors(self) -> list["Element"]:
        parent, found = self.parent, []
        while parent is not None:
            found.append(parent)
            parent = parent.parent
        return found

    def find_all(self, predicate) -> list["Element"]:
        found = []
        for child in self.children:
            if predicate(child):
                found.append(child)
            found += child.find_all(predicate)
        return found


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID_TAGS:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        open_tags = [self.current, *self.current.ancestors()]
        for element in open_tags:
            if element.tag == tag:
                self.current = element.parent or self.root
                return

    def handle_data(self, data: str) -> None:
        self.current.texts.append(data)


def page_parsed(response) -> Element:
    assert response.status_code in (200, 429), response.status_code
    builder = _TreeBuilder()
    builder.feed(response.content.decode())
    return builder.root


def by_id(page: Element, element_id: str) -> Element | None:
    found = page.find_all(lambda element: element.attrs.get("id") == element_id)
    assert len(found) <= 1, f"{len(found)} elements have the id {element_id}"
    return found[0] if found else None


def options_of(page: Element) -> Element:
    (details,) = page.find_all(lambda element: element.tag == "details")
    return details


def summary_of(page: Element) -> Element | None:
    return by_id(page, "error-summary")


def summary_links(page: Element) -> list[str]:
    return [link.attrs["href"] for link in summary_of(page).find_all(lambda e: e.tag == "a")]


def home_posted(client, fields: dict, **files) -> Element:
    return page_parsed(client.post(reverse("home"), {**fields, **files}))


def names_file(name: str = "names.txt", content: bytes = b"Ocean\nIsland\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


@pytest.fixture
def page_list(user, fake_wiki):
    """A list checked page by page with its own timeout: options other than the defaults."""
    return list_save(
        owner=user,
        name="Sea pages",
        entries="Ocean\nShark",
        wiki=fake_wiki.wiki_url,
        mode="page",
        timeout=5.0,
        schedule="none",
    )


# --- More options --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_more_options_starts_closed_on_a_fresh_form(user_client, fake_wiki):
    page = page_parsed(user_client.get(reverse("home")))

    details = options_of(page)
    assert details.find_all(lambda element: element.tag == "summary")[0].text == "More options"
    assert "open" not in details.attrs


@pytest.mark.django_db
def test_more_options_holds_the_wiki_the_mode_and_the_timeout(user_client, fake_wiki):
    page = page_parsed(user_client.get(reverse("home")))

    inside = {element.attrs.get("name") for element in options_of(page).find_all(bool)}
    assert {"wiki", "mode", "timeout"} <= inside
    assert not {"urls", "file", "name"} & inside


@pytest.mark.django_db
def test_more_options_opens_when_one_of_them_has_an_error(user_client, fake_wiki):
    page = home_posted(user_client, {"urls": "Ocean", "wiki": fake_wiki.wiki_url, "timeout": "-1"})

    assert "open" in options_of(page).attrs


@pytest.mark.django_db
def test_more_options_opens_after_an_error_elsewhere_when_an_option_was_changed(
    user_client, fake_wiki
):
    page = home_posted(user_client, {"urls": "", "wiki": fake_wiki.wiki_url, "mode": "page"})

    assert "open" in options_of(page).attrs


@pytest.mark.django_db
def test_more_options_stays_closed_after_an_error_elsewhere_with_the_defaults(
    user_client, fake_wiki
):
    page = home_posted(
        user_client, {"urls": "", "wiki": fake_wiki.wiki_url, "mode": "api", "timeout": ""}
    )

    assert summary_of(page) is not None
    assert "open" not in options_of(page).attrs


@pytest.mark.django_db
def test_more_options_of_a_list_with_its_own_options_starts_open(user_client, page_list):
    page = page_parsed(user_client.get(reverse("list_edit", args=[page_list.pk])))

    assert "open" in options_of(page).attrs


@pytest.mark.django_db
def test_more_options_of_a_list_with_the_defaults_starts_closed(user_client, ocean_list):
    page = page_parsed(user_client.get(reverse("list_edit", args=[ocean_list.pk])))

    assert "open" not in options_of(page).attrs


# --- The button ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_button_reads_check_pages_without_javascript(user_client, fake_wiki):
    page = page_parsed(user_client.get(reverse("home")))

    (button,) = page.find_all(lambda element: "data-label" in element.attrs)
    assert button.text == "Check pages"
    assert button.attrs["data-label"] == "Check {what}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "list_create"])
def test_the_form_script_is_loaded_deferred_from_a_file(user_client, fake_wiki, name):
    page = page_parsed(user_client.get(reverse(name)))

    scripts = page.find_all(
        lambda element: element.tag == "script" and "form.js" in element.attrs.get("src", "")
    )
    assert len(scripts) == 1
    assert "defer" in scripts[0].attrs
    assert scripts[0].parent.tag == "head"


# --- The error summary ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_form_without_errors_has_no_error_summary(user_client, fake_wiki):
    page = page_parsed(user_client.get(reverse("home")))

    assert summary_of(page) is None


@pytest.mark.django_db
def test_the_error_summary_links_to_each_field_in_error(user_client, fake_wiki):
    page = home_posted(user_client, ALL_WRONG)

    links = summary_links(page)
    assert links == ["#id_wiki", "#id_timeout"]
    assert all(by_id(page, href.removeprefix("#")) is not None for href in links)


@pytest.mark.django_db
def test_the_error_summary_links_the_mode_to_its_first_radio(user_client, fake_wiki):
    page = home_posted(user_client, {"urls": "Ocean", "wiki": fake_wiki.wiki_url, "mode": "fast"})

    assert summary_links(page) == ["#id_mode_0"]


@pytest.mark.django_db
def test_the_error_summary_lists_the_errors_of_no_one_field_too(user_client, fake_wiki):
    page = home_posted(user_client, ALL_WRONG)

    text = summary_of(page).text
    assert text.startswith("The batch was not stored")
    assert "Enter at least one page URL or title, or upload a file." in text
    assert "Wiki for bare titles: Enter the wiki that bare titles are looked up on" in text


@pytest.mark.django_db
def test_the_error_summary_comes_before_every_field_and_can_take_the_focus(user_client, fake_wiki):
    response = user_client.post(reverse("home"), ALL_WRONG)

    html = response.content.decode()
    summary = summary_of(page_parsed(response))
    assert html.index('id="error-summary"') < html.index('id="id_urls"')
    assert summary.attrs["tabindex"] == "-1"
    assert summary.find_all(lambda element: element.attrs.get("role") == "alert")


@pytest.mark.django_db
def test_the_list_forms_error_summary_says_the_list_was_not_saved(user_client, fake_wiki):
    response = user_client.post(reverse("list_create"), {"name": "", "urls": "Ocean"})

    page = page_parsed(response)
    assert summary_of(page).text.startswith("The list was not saved")
    assert "#id_name" in summary_links(page)


# --- A file after an error -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_read_without_error_is_asked_for_again_after_an_error_elsewhere(
    user_client, fake_wiki
):
    page = home_posted(user_client, {"wiki": ""}, file=names_file())

    help_text = by_id(page, "id_file_helptext").text
    assert "names.txt was read; the error is elsewhere. Choose it again" in help_text
    assert "the browser does not keep a file after an error" in help_text
    assert "names.txt was read" in summary_of(page).text


@pytest.mark.django_db
def test_a_refused_file_is_asked_for_again_once_corrected(user_client, fake_wiki):
    page = home_posted(user_client, {"wiki": fake_wiki.wiki_url}, file=names_file("names.pdf"))

    help_text = by_id(page, "id_file_helptext").text
    assert "Choose names.pdf again once corrected" in help_text


@pytest.mark.django_db
def test_a_file_with_a_refused_line_is_asked_for_again_once_corrected(user_client, fake_wiki):
    upload = names_file(content=b"Ocean\nhttps://evil.example.org/wiki/X\n")

    page = home_posted(user_client, {"wiki": fake_wiki.wiki_url}, file=upload)

    assert "File line 2" in summary_of(page).text
    assert "Choose names.txt again once corrected" in by_id(page, "id_file_helptext").text


@pytest.mark.django_db
def test_no_file_is_asked_for_when_none_was_chosen(user_client, fake_wiki):
    page = home_posted(user_client, ALL_WRONG)

    assert "Choose" not in by_id(page, "id_file_helptext").text
    assert "again" not in summary_of(page).text


# --- Help and errors tied to their fields --------------------------------------------------------


def _forms_shown(client, fake_wiki, saved_list) -> dict[str, object]:
    """Each form page, fresh and refused with errors in every field that can have one."""
    list_wrong = {**ALL_WRONG, "name": "", "schedule": "hourly-ish", "webhook": "ftp://x"}
    edit = reverse("list_edit", args=[saved_list.pk])
    return {
        "home": client.get(reverse("home")),
        "home refused": client.post(reverse("home"), {**ALL_WRONG, "namespaces": "x"}),
        "home refused with a file": client.post(
            reverse("home"), {**ALL_WRONG, "file": names_file("names.pdf")}
        ),
        "new list": client.get(reverse("list_create")),
        "new list refused": client.post(reverse("list_create"), list_wrong),
        "list edit": client.get(edit),
        "list edit refused": client.post(edit, list_wrong),
    }


@pytest.mark.django_db
def test_every_aria_describedby_names_an_element_of_the_page(user_client, fake_wiki, page_list):
    pages = _forms_shown(user_client, fake_wiki, page_list)

    dangling = {}
    for name, response in pages.items():
        page = page_parsed(response)
        described = page.find_all(lambda element: "aria-describedby" in element.attrs)
        assert described, name
        for element in described:
            for target in element.attrs["aria-describedby"].split():
                if by_id(page, target) is None:
                    dangling.setdefault(name, []).append(target)
    assert dangling == {}


@pytest.mark.django_db
def test_a_field_in_error_is_marked_invalid_and_described_by_its_error(user_client, fake_wiki):
    page = home_posted(user_client, ALL_WRONG)

    timeout = by_id(page, "id_timeout")
    assert timeout.attrs["aria-invalid"] == "true"
    assert timeout.attrs["aria-describedby"].split() == ["id_timeout_helptext", "id_timeout_error"]
    assert "Enter a number." in by_id(page, "id_timeout_error").text


@pytest.mark.django_db
def test_the_mode_radios_are_a_group_named_by_its_legend(user_client, fake_wiki):
    page = page_parsed(user_client.get(reverse("home")))

    radios = page.find_all(lambda element: element.attrs.get("name") == "mode")
    assert [radio.attrs["id"] for radio in radios] == ["id_mode_0", "id_mode_1"]
    for radio in radios:
        (fieldset,) = [element for element in radio.ancestors() if element.tag == "fieldset"]
        (legend,) = [child for child in fieldset.children if child.tag == "legend"]
        assert legend.text == "How to check"
        assert fieldset.attrs["aria-describedby"] == "id_mode_helptext"


@pytest.mark.django_db
def test_the_fields_keep_their_ids_and_names(user_client, fake_wiki):
    page = page_parsed(user_client.get(reverse("home")))

    names = {
        element.attrs["id"]: element.attrs["name"]
        for element in page.find_all(lambda e: e.tag in ("input", "textarea") and "id" in e.attrs)
    }
    assert names == {
        "id_urls": "urls",
        "id_file": "file",
        "id_links_of": "links_of",
        "id_namespaces": "namespaces",
        "id_category": "category",
        "id_name": "name",
        "id_wiki": "wiki",
        "id_mode_0": "mode",
        "id_mode_1": "mode",
        "id_timeout": "timeout",
    }
    assert by_id(page, "id_mode") is not None
