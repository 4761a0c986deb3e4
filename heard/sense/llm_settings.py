"""The operator's language-model endpoint for theme summaries, read from Django settings.

Kept apart from :mod:`heard.sense.themes.summaries` so that module stays free of Django. The API
key is read from its file here, at call time, so it is never a setting (settings show up on
debug pages and in ``diffsettings``).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from heard.sense.themes.summaries import Failure, LLMEndpoint, SummaryUnavailable


def endpoint_from_settings() -> LLMEndpoint | None:
    """The configured endpoint, or None when summaries are off (the default).

    Raises SummaryUnavailable(NOT_CONFIGURED) when a key file is named but cannot be read, so
    the page can say so instead of crashing or silently sending no key.
    """
    base_url = getattr(settings, "HEARD_LLM_BASE_URL", "")
    model = getattr(settings, "HEARD_LLM_MODEL", "")
    if not base_url or not model:
        return None
    api_key = None
    if key_file := getattr(settings, "HEARD_LLM_API_KEY_FILE", ""):
        try:
            api_key = Path(key_file).read_text(encoding="utf-8").strip() or None
        except OSError as error:
            raise SummaryUnavailable(
                Failure.NOT_CONFIGURED, f"cannot read HEARD_LLM_API_KEY_FILE: {error.strerror}"
            ) from error
    return LLMEndpoint(
        base_url=base_url,
        model=model,
        api_key=api_key,
        timeout=getattr(settings, "HEARD_LLM_TIMEOUT", 60.0),
        json_mode=getattr(settings, "HEARD_LLM_JSON_MODE", True),
    )
