"""The project's own JSON API."""
