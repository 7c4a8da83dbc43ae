"""API tokens: the keys that let scripts call the API as their user (a model of the checks app)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet):
    def for_key(self, key: str) -> "ApiToken | None":
        """The token this key belongs to, with its user, if the user may still log in."""
        return (
            self.select_related("user")
            .filter(key_hash=ApiToken.key_hash_of(key), user__is_active=True)
            .first()
        )


class ApiToken(models.Model):
    # Recording every use would add a write to each poll; once a minute says enough.
    LAST_USED_RESOLUTION = timedelta(minutes=1)
    # Enough of the key to tell a user's tokens apart, far too little to guess the rest with.
    KEY_PREFIX_LENGTH = 6

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. the script or machine using it."
    )
    key_hash = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="SHA-256 of the key, in hex; the key itself is shown once and never stored.",
    )
    key_prefix = models.CharField(
        max_length=KEY_PREFIX_LENGTH,
        blank=True,
        editable=False,
        help_text="The key's first characters, to tell tokens apart (empty for older tokens).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        app_label = "checks"
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def key_hash_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def key_generate(self) -> str:
        """Give the token a new random key and return it: the one moment it is known."""
        key = secrets.token_urlsafe(32)
        self.key_hash = self.key_hash_of(key)
        self.key_prefix = key[: self.KEY_PREFIX_LENGTH]
        return key

    def touch(self) -> None:
        """Record a use, unless one was recorded within LAST_USED_RESOLUTION."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= self.LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token of `user`, stored, and its key: the one moment the key is known."""
    token = ApiToken(user=user, name=name)
    key = token.key_generate()
    token.save()
    return token, key
