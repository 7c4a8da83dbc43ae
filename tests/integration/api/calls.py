"""What the API's tests send, and the batches they send it about."""

import json

from django.test import Client
from django.urls import reverse

from checks.models import Batch, Result

WIKI = "https://en.wikipedia.org/wiki/"


def post_json(client: Client, url: str, body, **kwargs):
    return client.post(url, json.dumps(body), content_type="application/json", **kwargs)


def patch_json(client: Client, url: str, body, **kwargs):
    return client.patch(url, json.dumps(body), content_type="application/json", **kwargs)


def batch_of(owner, *, results: int = 0, **fields) -> Batch:
    batch = Batch.objects.create(owner=owner, wiki=WIKI, total=results, **fields)
    Result.objects.bulk_create(
        (
            Result(batch=batch, position=n, url=f"{WIKI}Page_{n}", title=f"Page {n}")
            for n in range(results)
        ),
        batch_size=1000,
    )
    return batch


def detail_url(batch: Batch) -> str:
    return reverse("api:batch_detail", args=[batch.pk])


def action_url(batch: Batch, action: str) -> str:
    """The address of one of a batch's actions: cancel, resume, rerun or retry."""
    return reverse(f"api:batch_{action}", args=[batch.pk])
