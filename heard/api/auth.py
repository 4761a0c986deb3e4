"""Who is calling the API: a browser session (with CSRF) or a signed bearer token (scripts).

Why tokens are signed rather than stored: the lead owns the models and a token table would be a
new one; a token signed with ``django.core.signing`` needs no row. It carries the user's id and
the time it was made, and a fingerprint of the user's password hash and active flag, so:

* it expires after ``HEARD_API_TOKEN_MAX_AGE_DAYS`` days (default 90), checked on every use;
* changing the user's password (or deactivating the account) revokes every token made for them;
* rotating ``HEARD_SECRET_KEY`` revokes every token for everyone.

There is no way to revoke one token and keep the user's others: that is the known limitation of
signed tokens, and the reason to add a token model if scripts multiply.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

TOKEN_SALT = "heard.api.token"  # noqa: S105 (a signing salt, not a secret)


def token_max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.HEARD_API_TOKEN_MAX_AGE_DAYS)


def _fingerprint(user) -> str:
    """Changes when the password or the active flag changes, so either revokes old tokens."""
    value = f"{user.pk}:{user.password}:{user.is_active}"
    return salted_hmac(TOKEN_SALT + ".user", value, algorithm="sha256").hexdigest()[:20]


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=TOKEN_SALT)


def make_token(user) -> str:
    """A bearer token for ``user``; print it once, it is not stored anywhere."""
    return _signer().sign(f"{user.pk}.{_fingerprint(user)}")


class InvalidToken(Exception):
    """The token cannot be used; the message says why, without saying whose it was."""


def user_for_token(token: str):
    try:
        value = _signer().unsign(token.strip(), max_age=token_max_age())
    except signing.SignatureExpired as error:
        raise InvalidToken("The bearer token has expired; ask for a new one.") from error
    except signing.BadSignature as error:
        raise InvalidToken("The bearer token is not valid.") from error
    user_pk, _dot, fingerprint = value.partition(".")
    user = get_user_model().objects.filter(pk=user_pk).first() if user_pk.isdigit() else None
    if user is None or not user.is_active:
        raise InvalidToken("The bearer token is not valid.")
    if not constant_time_compare(fingerprint, _fingerprint(user)):
        raise InvalidToken(
            "The bearer token was revoked (the password changed); ask for a new one."
        )
    return user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``, as printed by ``heard api_token USERNAME``.

    No CSRF check: a browser never attaches this header by itself, so a forged cross-site
    request cannot carry it.
    """

    def authenticate(self, request: HttpRequest, token: str):
        try:
            user = user_for_token(token)
        except InvalidToken as error:
            raise HttpError(401, str(error)) from error
        request.user = user
        return user


class SessionWithCsrf(APIKeyCookie):
    """The Django session a signed-in browser already has, with Django's CSRF check on writes.

    Unlike ninja's ``SessionAuth`` it asks "signed in?" before checking CSRF, so an anonymous
    caller is told 401 (sign in) rather than a puzzling CSRF failure.
    """

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken."
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None):
        if request.user.is_authenticated:
            return request.user
        return None


WRITE_AUTH = [BearerToken(), SessionWithCsrf()]


def caller(request: HttpRequest):
    """The person behind a read: the bearer token's user when one is sent (a bad token is an
    error, not a silent fall back to anonymous), else the session's user, else anonymous."""
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() == "bearer":
        try:
            request.user = user_for_token(token)
        except InvalidToken as error:
            raise HttpError(401, str(error)) from error
    return request.user
