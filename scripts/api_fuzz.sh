#!/usr/bin/env bash
# Property-based fuzzing of the REST API against its own OpenAPI document (schemathesis).
#   bash scripts/api_fuzz.sh [BASE_URL]        (default http://127.0.0.1:8080; needs a running server)
# Needs `pip install schemathesis requests`. It makes a throwaway user with a personal client,
# takes a password-grant token with every user scope, creates one application to aim at, and
# lets schemathesis look for 5xx answers and answers that break the schema.
set -euo pipefail
BASE="${1:-http://127.0.0.1:8080}"
BASE="${BASE%/}"

read -r TOKEN APP_ID < <(python3 - "$BASE" <<'PY'
import re, secrets, sys, requests
base = sys.argv[1]
s = requests.Session()
csrf = lambda html: re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
user = "fuzz" + secrets.token_hex(4)
page = s.get(f"{base}/register")
s.post(f"{base}/register", data={"csrf_token": csrf(page.text), "username": user, "email": f"{user}@example.com", "password": "correct horse battery"})
page = s.get(f"{base}/settings/api")
s.post(f"{base}/settings/api", data={"csrf_token": csrf(page.text)}, allow_redirects=False)
html = s.get(f"{base}/settings/api").text
cid = re.search(r'<code data-copy="client_id">([^<]+)<', html).group(1)
secret = re.search(r'<code data-copy="client_secret">([^<]+)<', html).group(1)
token = requests.post(f"{base}/oauth2/token", auth=(cid, secret), data={
    "grant_type": "password", "username": user, "password": "correct horse battery",
    "scope": "identify email applications.read applications.write authorizations"}).json()["access_token"]
app = requests.post(f"{base}/api/v1/oauth2/applications", json={"name": "fuzz target", "redirect_uris": ["https://fuzz.example/cb"]},
                    headers={"Authorization": f"Bearer {token}"}).json()
print(token, app["id"])
PY
)

schemathesis run "$BASE/api/v1/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples "${FUZZ_EXAMPLES:-60}" \
  --seed 1 \
  --phases examples,coverage,fuzzing \
  --suppress-health-check all \
  --request-timeout 10 \
  "${@:2}"
