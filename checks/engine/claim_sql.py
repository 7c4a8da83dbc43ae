"""The statements of a claim, in SQL: the running batches, the rows in flight, a batch's next
pending rows, marking rows running, and claiming given rows (a Celery task's)."""

# A claim is the queue's hot path, run for every few pages checked: built through the ORM, its
# four statements cost more CPU than the requests they hand out (at 0 ms latency the feeder was
# busy 96% of the time, and the workers waited for work 63% of it).

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from django.db import connection

from checks.engine.workqueue import table_sql
from checks.models import Batch, Result

_BATCH_ID = Result._meta.get_field("batch")
_CLAIMED_AT = Result._meta.get_field("claimed_at")
_CLAIMED_BY = Result._meta.get_field("claimed_by")
_TO_UUID = Batch._meta.pk.to_python
# What a claimed row's dict holds (claims.CLAIM_FIELDS), in the order the pending read gives it.
_ROW_KEYS = ("pk", "position", "url", "title", "api_url")
# What rows_claim_ids' statement returns of each row, as a claimed row's dict names them: the
# batch's timeout comes with it, read by a subquery rather than a statement of its own.
_CLAIMED_FIELDS = {
    "pk": Result._meta.pk,
    "batch_id": _BATCH_ID,
    **{name: Result._meta.get_field(name) for name in ("position", "url", "title", "api_url")},
    "batch__timeout": Batch._meta.get_field("timeout"),
}


def running_batches() -> list[tuple[UUID, int, int, int, int, float | None]]:
    """Each running batch: id, owner, total, done, not checked, timeout."""
    sql = (
        f"SELECT id, owner_id, total, done, cancelled_count, timeout FROM {table_sql(Batch)} "
        "WHERE status = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Batch.Status.RUNNING.value])
        return [(_TO_UUID(batch_id), *rest) for batch_id, *rest in cursor.fetchall()]


def rows_in_flight() -> Counter[tuple[UUID, str]]:
    """How many rows of each batch and API are being checked (through the index of rows in
    flight)."""
    sql = f"SELECT batch_id, api_url FROM {table_sql(Result)} WHERE status = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [Result.Status.RUNNING.value])
        # Counted in SQL, SQLite would scan the batch index of every row instead; here each
        # batch id is made a UUID once, not once a row (16 API units in flight are 800 rows).
        counts = Counter(cursor.fetchall())
    return Counter({(_TO_UUID(batch_id), api): n for (batch_id, api), n in counts.items()})


def pending_rows(
    *,
    batch_id: UUID,
    timeout: float | None,
    limit: int,
    passed: Collection[int] = (),
    api_url: str | None = None,
) -> list[dict]:
    """Up to `limit` pending rows of a batch, lowest position first, but the ids `passed`; only
    those bound for `api_url` if given. Rows another transaction is claiming are passed over
    where the database can (PostgreSQL), not waited for."""
    conditions = ["batch_id = %s", "status = %s"]
    params: list = [
        _BATCH_ID.get_db_prep_value(batch_id, connection),
        Result.Status.PENDING.value,
    ]
    if api_url is not None:
        conditions.append("api_url = %s")
        params.append(api_url)
    if passed:
        conditions.append(f"id NOT IN ({', '.join(['%s'] * len(passed))})")
        params += list(passed)
    sql = (
        f"SELECT id, position, url, title, api_url FROM {table_sql(Result)} "
        f"WHERE {' AND '.join(conditions)} ORDER BY position LIMIT %s"
    )
    if connection.features.has_select_for_update_skip_locked:
        sql += " FOR UPDATE SKIP LOCKED"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        rows = cursor.fetchall()
    extra = {"batch_id": batch_id, "batch__timeout": timeout}
    return [dict(zip(_ROW_KEYS, row, strict=True), **extra) for row in rows]


def rows_mark_running(*, pks: Sequence[int], claimer: UUID, now: datetime) -> None:
    """Mark pending rows `pks` as claimed by `claimer` at `now`, in one statement."""
    if pks:
        _running_set(ids=pks, claimer=claimer, now=now)


def rows_claim_ids(*, ids: Sequence[int], claimer: UUID, now: datetime) -> list[dict]:
    """Mark running those of rows `ids` that are pending, and return them, in one UPDATE ...
    RETURNING (PostgreSQL, and SQLite from 3.35); on PostgreSQL rows another transaction holds
    are passed over, not waited for."""
    results, batches = table_sql(Result), table_sql(Batch)
    timeout = f"(SELECT timeout FROM {batches} WHERE {batches}.id = {results}.batch_id)"
    rows = _running_set(
        ids=ids,
        claimer=claimer,
        now=now,
        pass_locked=True,
        returning=f"id, batch_id, position, url, title, api_url, {timeout}",
    )
    # As the ORM would read them (SQLite gives a UUID as text).
    return [
        {
            name: field.to_python(value)
            for (name, field), value in zip(_CLAIMED_FIELDS.items(), row, strict=True)
        }
        for row in rows
    ]


def _running_set(
    *,
    ids: Sequence[int],
    claimer: UUID,
    now: datetime,
    pass_locked: bool = False,
    returning: str = "",
) -> list[tuple]:
    """Mark those of rows `ids` that are pending as claimed by `claimer` at `now`, in one
    statement, passing over rows another transaction holds if asked (where the database can);
    the `returning` columns of each row marked."""
    results = table_sql(Result)
    pending = f"id IN ({', '.join(['%s'] * len(ids))}) AND status = %s"
    if pass_locked and connection.features.has_select_for_update_skip_locked:
        pending = f"id IN (SELECT id FROM {results} WHERE {pending} FOR UPDATE SKIP LOCKED)"
    sql = f"UPDATE {results} SET status = %s, claimed_at = %s, claimed_by_id = %s WHERE {pending}"
    params = [
        Result.Status.RUNNING.value,
        _CLAIMED_AT.get_db_prep_save(now, connection),
        _CLAIMED_BY.get_db_prep_save(claimer, connection),
        *ids,
        Result.Status.PENDING.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {returning}" if returning else sql, params)
        return cursor.fetchall() if returning else []
