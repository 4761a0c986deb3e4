from django.urls import include, path

from heard.listen import views

urlpatterns = [
    path("say/", views.submit_online, name="submit_online"),
    path("say/thanks/<int:pk>/", views.submitted, name="submitted"),
    path("contributions/", views.public_record, name="public_record"),
    path("contributions/all/", views.all_contributions, name="all_contributions"),
    path("contributions/<int:pk>/", views.contribution_detail, name="contribution"),
    path("contributions/<int:pk>/moderate/", views.moderate, name="moderate"),
    path("export/full.json", views.export_full, name="export_full"),
    path("contributions/<int:pk>/withdraw/", views.withdraw_own, name="withdraw_own"),
    path(
        "contributions/<int:pk>/withdraw-on-request/",
        views.withdraw_on_request,
        name="withdraw_on_request",
    ),
    path("contributions/<int:pk>/receipt.tlog-proof", views.receipt, name="receipt"),
    path("", include("heard.listen.capture_urls")),
    path("", include("heard.listen.import_urls")),
]
