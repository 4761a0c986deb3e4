from django.urls import path

from heard.engagements import views

urlpatterns = [
    path("", views.engagement_page, name="engagement"),
    path("edit/", views.edit_engagement, name="edit_engagement"),
    path("people/", views.members, name="members"),
    path("join/", views.join, name="join"),
    path("facilitate/<str:token>/", views.accept_invite, name="accept_invite"),
]
