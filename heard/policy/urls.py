from django.urls import path

from heard.policy import checkback_team_views, checkback_views, group_views, views

_V = "policy/v/<int:number>/"

urlpatterns = [
    path("policy/", views.latest, name="policy"),
    path(_V, views.version, name="policy_version"),
    path(_V + "canonical.json", views.canonical, name="policy_canonical"),
    path("policy/diff/<int:a>/<int:b>/", views.diff, name="policy_diff"),
    path("policy/clause/<str:key>/", views.clause, name="policy_clause"),
    path("policy/coverage/", views.coverage, name="policy_coverage"),
    path("policy/coverage/set-aside/", views.set_aside, name="policy_set_aside"),
    path("policy/coverage/take-back/", views.take_back, name="policy_take_back"),
    path("policy/edit/", views.team, name="policy_team"),
    path("policy/edit/clause/<str:key>/", views.clause_edit, name="policy_clause_edit"),
    path("policy/group/", group_views.group, name="policy_group"),
    path("policy/group/manage/", group_views.manage, name="policy_group_manage"),
    path("policy/group/decide/", group_views.decide, name="policy_decide"),
    path("policy/check-back/", checkback_views.check_back, name="policy_check_back"),
    path(
        "policy/check-back/manage/",
        checkback_team_views.manage,
        name="policy_check_back_manage",
    ),
    path("policy/check-back/tally/", checkback_team_views.tally, name="policy_check_back_tally"),
    path(
        "policy/check-back/summary/",
        checkback_team_views.summary,
        name="policy_check_back_summary",
    ),
    path(
        "policy/check-back/withdraw/",
        checkback_views.withdraw,
        name="policy_check_back_withdraw",
    ),
]
