"""The API tokens page: a user's own tokens, making one (its key shown once) and revoking one."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from checks.api.tokens import ApiToken, api_token_create


class TokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]


# The answer showing a new key must not be kept by a cache or the browser's history.
@never_cache
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's tokens and a form to make one; a new token's key is on this answer only."""
    form = TokenForm(request.POST) if request.method == "POST" else TokenForm()
    created = key = None
    if form.is_valid():
        created, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "created": created,
        "key": key,
    }
    return render(request, "checks/token_list.html", context)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's tokens: its key stops working at once."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, f"Revoked the token “{token.name}”: its key no longer works.")
    return redirect("token_list")
