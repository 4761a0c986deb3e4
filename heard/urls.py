"""Top-level URLs: each journey app owns its own patterns."""

from django.contrib import admin
from django.urls import include, path

from heard.api.api import api

urlpatterns = [
    path("", include("heard.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("record/", include("heard.record.urls")),
    path("e/<slug:slug>/", include("heard.engagements.urls")),
    path("e/<slug:slug>/", include("heard.plan.urls")),
    path("e/<slug:slug>/", include("heard.listen.urls")),
    path("e/<slug:slug>/", include("heard.sense.urls")),
    path("e/<slug:slug>/", include("heard.opinions.urls")),
    path("e/<slug:slug>/", include("heard.report.urls")),
    path("e/<slug:slug>/", include("heard.policy.urls")),
]
