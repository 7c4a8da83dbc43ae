"""What any entered line may contain, checked before it is parsed, and how input is quoted in
the messages that refuse it."""

import re

MAX_LINE_LENGTH = 2048
# Keeps error messages readable however long the pasted line is.
MAX_ECHO_LENGTH = 80
# Unicode's control characters (category Cc): C0, DEL and C1.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
# Halves of UTF-16 pairs: alone they are no character, and no encoding can send them on.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def line_check(text: str) -> None:
    """Refuse what is not a line of text at all, before any other work: no URL or title holds
    it, and a database may not store it (NUL, lone surrogates)."""
    if len(text) > MAX_LINE_LENGTH:
        raise ValueError(f"line is too long ({len(text)} characters, at most {MAX_LINE_LENGTH})")
    if has_control(text):
        raise ValueError("line contains a control character")
    surrogate = LONE_SURROGATE.search(text)
    if surrogate:
        raise ValueError(
            f"line contains a character that is not valid text (U+{ord(surrogate.group()):04X})"
        )


def has_control(text: str) -> bool:
    return CONTROL_CHARACTER.search(text) is not None


def echo(text: str) -> str:
    """`text` as quoted in a message: cut short when it is long."""
    return text if len(text) <= MAX_ECHO_LENGTH else text[: MAX_ECHO_LENGTH - 1] + "…"
