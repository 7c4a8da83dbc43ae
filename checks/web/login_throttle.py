"""Login throttling: django-axes' lockout per username and address, plus a higher one per
address."""

# Axes has one failure limit; its maintainers point to a handler of one's own for a second one
# (jazzband/django-axes#661). This is axes' database handler with that second limit added.

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.db.models import Sum
from django.http import HttpRequest

from checks import conf


class LoginThrottleHandler(AxesDatabaseHandler):
    """Refuses an address once its failures, over every username, reach the address limit.

    Axes asks `get_failures()` both before a login (is this client locked?) and after a failure
    (lock it now?), and compares the answer with its own limit; an address over its limit answers
    with that limit, so both questions get "locked" without a second code path.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_failures(request=request) >= conf.current().login_address_failure_limit:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def address_failures(*, request: HttpRequest) -> int:
    """Failed logins from the request's client address within the cool-off time, any username."""
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address,
        attempt_time__gte=get_cool_off_threshold(request),
    )
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
