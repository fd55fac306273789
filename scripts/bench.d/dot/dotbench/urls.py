from django.urls import include, path

from . import views

urlpatterns = [
    # token/, introspect/, revoke_token/, authorize/ and the rest of DOT's endpoints.
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("users/@me", views.Me.as_view()),
]
