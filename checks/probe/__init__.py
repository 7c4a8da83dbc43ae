"""Django-free HTTP: the session, the page check, the MediaWiki client, per-host limits and
the Outcome value."""
