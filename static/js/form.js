// The submit and list forms' small helpers: the button says what will be checked, and after a
// refused submission the focus goes to the error summary. The forms work without them.
"use strict";

(function () {
  function trimmed(form, name) {
    const field = form.elements.namedItem(name);
    return field ? field.value.trim() : "";
  }

  // What the form names, for its button: "4 pages", "the pages in names.txt", "the links of
  // Ocean"; "" when it names nothing, or lists of two kinds (the server refuses them, saying
  // why). Lines are counted as typed: the server merges duplicates, and its count is the batch's.
  function namedPages(form) {
    const urls = form.elements.namedItem("urls");
    const file = form.elements.namedItem("file");
    const lines = urls ? urls.value.split(/\r\n|\r|\n/).filter((line) => line.trim()).length : 0;
    const pages = [];
    if (lines) {
      pages.push(lines.toLocaleString("en") + (lines === 1 ? " page" : " pages"));
    }
    if (file && file.files.length) {
      pages.push("the pages in " + file.files[0].name);
    }
    const sources = [];
    if (trimmed(form, "links_of")) {
      sources.push("the links of " + trimmed(form, "links_of"));
    }
    if (trimmed(form, "category")) {
      sources.push("the members of " + trimmed(form, "category"));
    }
    if (sources.length + (pages.length ? 1 : 0) !== 1) {
      return "";
    }
    return sources.length ? sources[0] : pages.join(" and ");
  }

  function buttonFollow(form) {
    const button = form.querySelector("button[data-label]");
    if (!button) {
      return;
    }
    const plain = button.textContent;
    function update() {
      const what = namedPages(form);
      button.textContent = what ? button.dataset.label.replace("{what}", what) : plain;
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    // A form sent back with an error, or restored by the Back button, has lines already.
    window.addEventListener("pageshow", update);
    update();
  }

  // A link of the summary focuses its field, with the field's label in view (a plain link
  // would scroll to the field without focusing it, its label out of sight).
  function summaryLinkFollow(event) {
    const link = event.target.closest("a[href^='#']");
    const field = link && document.getElementById(link.hash.slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    const details = field.closest("details");
    if (details) {
      details.open = true;
    }
    (field.closest(".field") || field).scrollIntoView();
    field.focus({ preventScroll: true });
  }

  document.querySelectorAll("form").forEach(buttonFollow);
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.addEventListener("click", summaryLinkFollow);
    summary.focus();
  }
})();
