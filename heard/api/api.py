"""The JSON API (django-ninja), with its OpenAPI description at /api/openapi.json."""

from ninja import NinjaAPI

import heard

api = NinjaAPI(
    title="heard API",
    version=heard.__version__,
    description="Read engagements, hui and the public record of contributions; submit a "
    "contribution.",
    urls_namespace="api",
)
