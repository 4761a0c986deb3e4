"""The JSON API (django-ninja), with its OpenAPI description at /api/openapi.json and its
browsable docs at /api/docs (Swagger UI served from ninja's own static files, no CDN)."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.renderers import JSONRenderer

import heard
from heard.api.routes import router


class UnescapedJSON(JSONRenderer):
    """Macrons and every other character as themselves (``whānau``, not ``wh\\u0101nau``)."""

    json_dumps_params = {"ensure_ascii": False}


class HeardAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """Short, stable operation ids (``list_hui``), for clients generated from the schema."""
        return operation.view_func.__name__


api = HeardAPI(
    title="heard API",
    version=heard.__version__,
    description=(
        "Read engagements, hui and the public record of contributions; submit a contribution.\n\n"
        "Reads need no sign-in: they show what the public may see (the same rules as the "
        "public pages: hidden words and words not for quoting are withheld, `text` is null). "
        "Submitting needs a participant: either the browser session (send the `csrftoken` "
        "cookie's value as `X-CSRFToken`) or `Authorization: Bearer TOKEN`, a token printed "
        "by `heard api_token USERNAME`.\n\n"
        "Lists are paginated with `limit` (at most 200) and `offset`; each page says `count`, "
        'the total. Refusals are JSON: `{"detail": "why"}`.'
    ),
    urls_namespace="api",
    renderer=UnescapedJSON(),
)
api.add_router("/", router)


@api.exception_handler(AuthenticationError)
def not_signed_in(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": "Sign in first, or send “Authorization: Bearer TOKEN” with a token from "
            "`heard api_token USERNAME`."
        },
        status=401,
    )


@api.exception_handler(HttpError)
def refused(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's refusals as ``{"detail": ...}``, with its one vague message made useful."""
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = (
            "The body is not valid JSON. Send one JSON object, with "
            "“Content-Type: application/json”."
        )
    return api.create_response(request, {"detail": message}, status=exc.status_code)
