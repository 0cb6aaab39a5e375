#!/usr/bin/env bash
# The main job on a demo book: load it into the site made by scripts/setup_bench.sh, run the day's
# dunning with the emails delivered to an SMTP server on loopback, print what went out.
#
#   scripts/demo.sh [--force] [--date YYYY-MM-DD]
#
# BENCH (default ~/frappe-bench) and SITE (default: the bench's default site). A site that
# setup_bench.sh did not create (no `relance_demo_site` in its site_config.json) is refused unless
# --force. The raw emails are saved in /tmp/relance-demo-mails/.
set -uo pipefail

BENCH=${BENCH:-$HOME/frappe-bench}
FORCE=0
AS_OF=""
while [ $# -gt 0 ]; do
	case "$1" in
		--force) FORCE=1 ;;
		--date) AS_OF=$2; shift ;;
		-h | --help) sed -n 2,9p "$0"; exit 0 ;;
		*) echo "unknown option $1"; exit 2 ;;
	esac
	shift
done

PY="$BENCH/env/bin/python"
[ -x "$PY" ] && [ -d "$BENCH/sites" ] || { echo "No bench at $BENCH: run scripts/setup_bench.sh first."; exit 1; }
SITE=${SITE:-$(cat "$BENCH/sites/currentsite.txt" 2>/dev/null)}
SITE=${SITE:-$("$PY" -c "import json; print(json.load(open('$BENCH/sites/common_site_config.json')).get('default_site', ''))" 2>/dev/null)}
SITE=${SITE:-relance.test}
CONFIG="$BENCH/sites/$SITE/site_config.json"
[ -f "$CONFIG" ] || { echo "No site $SITE in $BENCH/sites."; exit 1; }
marked=$("$PY" -c "import json; print(json.load(open('$CONFIG')).get('relance_demo_site', 0))")
if [ "$marked" != "1" ] && [ "$FORCE" != "1" ]; then
	echo "Refusing: $SITE was not created by scripts/setup_bench.sh (no relance_demo_site in $CONFIG)."
	echo "The demo adds a dozen customers and invoices and repoints the outgoing Email Account."
	echo "Use --force to run it on this site anyway."
	exit 1
fi

# PDFs are rendered by wkhtmltopdf from the site's own pages: the web server must be up
PORT=$("$PY" -c "import json; print(json.load(open('$BENCH/sites/common_site_config.json')).get('webserver_port', 8000))")
if ! curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$PORT/api/method/ping"; then
	echo "The web server is down: bringing the services up with scripts/setup_bench.sh"
	BENCH=$BENCH SITE=$SITE E2E=0 bash "$(dirname "$0")/setup_bench.sh" | tail -n 3 || exit 1
fi

kwargs="{\"force\": $FORCE${AS_OF:+, \"as_of\": \"$AS_OF\"}}"
# frappe's own CLI (what `bench` runs), so that it works as root without bench's frappe_user check
cd "$BENCH/sites" && "$PY" -m frappe.utils.bench_helper frappe --site "$SITE" \
	execute relance_app.demo.run --kwargs "$kwargs" 2> >(grep -v -E "^(WARNING|ERROR)[[:space:]]+(Property|PropertyValue|CSSStyleDeclaration)" >&2)
