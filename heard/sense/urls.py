from django.urls import path

from heard.sense import views

_RUN = "themes/runs/<int:version>/"
_THEME = _RUN + "t/<int:pk>/"

urlpatterns = [
    path("themes/", views.themes_home, name="themes"),
    path("themes/runs/", views.runs, name="theme_runs"),
    path("themes/runs/start/", views.start_run, name="theme_run_start"),
    path(_RUN, views.overview, name="theme_overview"),
    path(_RUN + "contributions/", views.browse, name="theme_browse"),
    path(_RUN + "contributions/move/", views.browse_move, name="theme_browse_move"),
    path(_THEME, views.theme_detail, name="theme_detail"),
    path(_THEME + "rename/", views.rename, name="theme_rename"),
    path(_THEME + "summary/", views.summary, name="theme_summary"),
    path(_THEME + "summary/draft/", views.draft_request, name="theme_draft_request"),
    path(_THEME + "summary/draft/<int:dpk>/adopt/", views.draft_adopt, name="theme_draft_adopt"),
    path(_THEME + "merge/", views.merge, name="theme_merge"),
    path(_THEME + "members/", views.members, name="theme_members"),
    path(_THEME + "quotes/", views.mark_quote, name="theme_quote_mark"),
    path(_THEME + "quotes/<int:qpk>/unmark/", views.unmark_quote, name="theme_quote_unmark"),
]
