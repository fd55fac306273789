"""Seeds the DOT peer's database, run with the peer's virtualenv Python (DJANGO_SETTINGS_MODULE
set): one user per wrk connection with an access token of its own, and one confidential
client-credentials application whose secret is stored plain (hash_client_secret=False), so
that client authentication costs DOT a string comparison, not a PBKDF2 run per request.
Prints what the scenarios need as one JSON object."""
import datetime
import json
import secrets
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402  (after django.setup())
from django.utils import timezone  # noqa: E402
from oauthlib.common import generate_token  # noqa: E402

from oauth2_provider.models import AccessToken, Application  # noqa: E402

users = int(sys.argv[1])
User = get_user_model()
owner = User.objects.create_user("bench-owner", "owner@example.com", secrets.token_hex(16))
secret = secrets.token_urlsafe(32)
app = Application.objects.create(
    name="Bench client", user=owner, client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, client_secret=secret, hash_client_secret=False)
app.refresh_from_db()
assert app.client_secret == secret, "the client secret was hashed despite hash_client_secret=False"

tokens = []
expires = timezone.now() + datetime.timedelta(hours=12)
for n in range(users):
    user = User.objects.create_user(f"dot{n:02d}", f"dot{n:02d}@example.com", secrets.token_hex(16))
    value = generate_token()  # how DOT makes its own tokens
    AccessToken.objects.create(user=user, application=app, token=value, expires=expires, scope="identify")
    tokens.append(value)

print(json.dumps({"client_id": app.client_id, "client_secret": secret, "access_tokens": tokens}))
