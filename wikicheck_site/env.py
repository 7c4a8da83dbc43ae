"""Reading typed settings from the environment, for wikicheck_site/settings.py; a malformed value
stops the start with ImproperlyConfigured or ValueError, naming what it expected."""

import os

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_pairs(name: str, default: str) -> list[tuple[str, str]]:
    """`pattern=value,pattern=value` as (pattern, value) pairs, first match wins."""
    pairs = []
    for item in env_list(name, default):
        pattern, separator, value = item.partition("=")
        if not separator or not pattern.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name}: '{item}' is not pattern=value")
        pairs.append((pattern.strip(), value.strip()))
    return pairs


def env_timeout(name: str, default: str) -> tuple[float, float]:
    """`3.05,10` is (connect, read) seconds; a single number is used for both."""
    parts = [float(part) for part in os.environ.get(name, default).split(",")]
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) <= 0:
        raise ImproperlyConfigured(f"{name} must be 'connect,read' seconds, both positive")
    return parts[0], parts[1]
