"""`python -m fakewiki`'s command line (fakewiki/__main__.py); the server it starts is tested
in tests/system/test_fakewiki_process.py."""

from fakewiki.__main__ import parser_build


def test_command_help_lists_the_fault_modes() -> None:
    parser = parser_build()

    help_text = parser.format_help()

    assert "Fault:slow-headers" in help_text
    assert "Fault:redirect-to-<Title>" in help_text


def test_command_help_mentions_the_api() -> None:
    parser = parser_build()

    help_text = parser.format_help()

    assert "/w/api.php" in help_text
