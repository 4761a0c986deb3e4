from django.urls import path

from heard.plan import views

urlpatterns = [
    path("hui/new/", views.hui_edit, name="hui_new"),
    path("venues/new/", views.venue_new, name="venue_new"),
    path("hui/<slug:key>/", views.hui_detail, name="hui"),
    path("hui/<slug:key>/edit/", views.hui_edit, name="hui_edit"),
]
