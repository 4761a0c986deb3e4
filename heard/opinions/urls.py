from django.urls import path

from heard.opinions import views

_C = "opinions/<int:number>/"

urlpatterns = [
    path("opinions/", views.conversations, name="opinions"),
    path("opinions/manage/", views.manage, name="opinions_manage"),
    path(_C, views.conversation_page, name="conversation"),
    path(_C + "vote/", views.vote, name="vote"),
    path(_C + "statements/", views.statements, name="conversation_statements"),
    path(_C + "statements/new/", views.submit, name="statement_submit"),
    path(_C + "statements/<int:sn>/withdraw/", views.withdraw, name="statement_withdraw"),
    path(_C + "seed/", views.seed, name="statements_seed"),
    path(_C + "moderation/", views.moderation, name="statements_moderate"),
    path(_C + "moderation/<int:sn>/", views.moderate, name="statement_moderate"),
    path(_C + "tallies/", views.tallies, name="tallies"),
    path(_C + "map/", views.opinion_map, name="opinion_map"),
    path(_C + "map/update/", views.map_update, name="opinion_map_update"),
    path(_C + "open-data.zip", views.open_data, name="conversation_open_data"),
]
