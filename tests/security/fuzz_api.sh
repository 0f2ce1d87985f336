#!/usr/bin/env bash
# `make fuzz`: schemathesis against /api/schema/ of a real server (runserver on a free loopback
# port, fresh seeded SQLite db, an API token for an integration admin). Safe methods only (GET),
# a bounded number of cases per operation; checks: no 5xx, documented status codes, content type,
# headers and response-schema conformance (every list is documented as the cursor-paginated
# envelope, every error as ApiError). FUZZ_CHECKS overrides the list (e.g. not_a_server_error).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
work=$(mktemp -d)
export DATABASE_URL="sqlite:///${work}/fuzz.sqlite3"
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo >/dev/null
token=$($PY manage.py shell -c "
from apps.accounts import roles
from apps.accounts.services import user_create, api_token_create
u = user_create(username='fuzz-ada', password='fuzz-pass-123', roles=[roles.INTEGRATION_ADMIN], projects=[])
print(api_token_create(user=u, name='fuzz')[1])" | tail -n1)
port=$($PY -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
# DEBUG off: unmatched /api/ URLs get the JSON 404 of production, not the debug page.
DJANGO_DEBUG=0 $PY manage.py runserver "127.0.0.1:${port}" --noreload --nothreading >"${work}/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:${port}/healthz" && break || sleep 0.5
done
timeout "${FUZZ_TIMEOUT:-240}" .venv/bin/schemathesis run "http://127.0.0.1:${port}/api/schema/" \
  -H "Authorization: Bearer ${token}" \
  --method GET \
  --checks "${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance}" \
  --hypothesis-max-examples "${FUZZ_MAX_EXAMPLES:-5}" \
  --request-timeout 10000 --hypothesis-deadline 15000 --hypothesis-derandomize
