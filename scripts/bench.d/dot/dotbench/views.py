from django.http import JsonResponse
from oauth2_provider.views.generic import ScopedProtectedResourceView


class Me(ScopedProtectedResourceView):
    """Gatehouse's GET /api/v1/users/@me: the token's user, with the `identify` scope required;
    `email` only with the email scope. The validator already loaded the token and its user
    (select_related), so the view costs no query of its own, like Gatehouse's."""

    required_scopes = ["identify"]

    def verify_request(self, request):
        valid, oauth_request = super().verify_request(request)
        self.oauth_request = oauth_request  # kept for the token's scopes
        return valid, oauth_request

    def get(self, request, *args, **kwargs):
        user = request.resource_owner
        scopes = self.oauth_request.access_token.scope.split()
        return JsonResponse({"id": str(user.pk), "username": user.get_username(),
                             "email": user.email if "email" in scopes else None, "bot": False, "type": "user"})
