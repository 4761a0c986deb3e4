from django.contrib.auth import views as auth_views
from django.urls import path

from heard.core import views
from heard.core.forms import SignInForm
from heard.engagements import views as engagement_views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/me/", views.my_account, name="my_account"),
    path("engagements/new/", engagement_views.new_engagement, name="new_engagement"),
]
