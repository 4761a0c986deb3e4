from django.urls import path

from heard.report import views

_V = "report/v/<int:number>/"

urlpatterns = [
    path("report/", views.latest, name="report"),
    path("report/edit/", views.team, name="report_team"),
    path("report/preview/", views.preview, name="report_preview"),
    path("report/publish/", views.publish, name="report_publish"),
    path("report/edit/theme/<int:theme_id>/", views.theme_choice, name="report_theme"),
    path("report/edit/population/", views.population, name="report_population"),
    path(_V, views.version, name="report_version"),
    path(_V + "report.html", views.version_html, name="report_version_html"),
    path(_V + "report.pdf", views.version_pdf, name="report_version_pdf"),
]
