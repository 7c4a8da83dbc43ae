"""What any entered line may contain, checked before it is parsed, and how input is quoted in
the messages that refuse it."""

import re

MAX_LINE_LENGTH = 2048
# Keeps error messages readable however long the pasted line is.
MAX_ECHO_LENGTH = 80
# Only these are refused outright: anything else before a colon is a namespace or
# simply part of a title ("Help:Contents", "Star Wars: Episode I").
REJECTED_SCHEMES = frozenset(
    {"javascript", "data", "file", "ftp", "ftps", "mailto", "vbscript", "ws", "wss"}
    | {"gopher", "ldap", "ssh", "telnet", "about", "blob", "chrome"}
)
# Unicode's control characters (category Cc): C0, DEL and C1.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
# Halves of UTF-16 pairs: alone they are no character, and no encoding can send them on.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What decoders put where text was not valid; MediaWiki refuses titles containing it.
REPLACEMENT_CHARACTER = "\ufffd"


def line_check(text: str) -> None:
    """Refuse what no accepted form can contain, before any other work."""
    if len(text) > MAX_LINE_LENGTH:
        raise ValueError(f"line is too long ({len(text)} characters, at most {MAX_LINE_LENGTH})")
    if has_control(text):
        raise ValueError("line contains a control character")
    surrogate = LONE_SURROGATE.search(text)
    if surrogate:
        raise ValueError(
            f"line contains a character that is not valid text (U+{ord(surrogate.group()):04X})"
        )
    if REPLACEMENT_CHARACTER in text:
        raise ValueError(
            "line contains U+FFFD (\ufffd), which stands in for text that was not valid where it "
            "was typed or copied; MediaWiki forbids it in titles"
        )
    if text.startswith("//"):
        raise ValueError("only http and https URLs are accepted: start with https://")
    scheme, colon, _ = text.partition(":")
    if colon and scheme.strip().lower() in REJECTED_SCHEMES:
        raise ValueError("only http and https URLs are accepted")


def has_control(text: str) -> bool:
    return CONTROL_CHARACTER.search(text) is not None


def echo(text: str) -> str:
    """`text` as quoted in a message: cut short when it is long."""
    return text if len(text) <= MAX_ECHO_LENGTH else text[: MAX_ECHO_LENGTH - 1] + "…"
