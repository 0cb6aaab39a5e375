#!/usr/bin/env bash
# The main job on a demo book: load it into the site made by scripts/setup_bench.sh, let the bench's
# scheduler start the day's dunning by the clock and its workers deliver the emails to an SMTP server on
# loopback, print what went out and how long it waited for each.
#
#   scripts/demo.sh [--force] [--date YYYY-MM-DD]
#
# What it runs: scripts/demo_clock.py with the bench's Python (relance_app.demo's book and report).
# --date runs that day's dunning directly (the scheduler only runs today's).
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
		-h | --help) sed -n 2,13p "$0"; exit 0 ;;
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

# today's run goes by the clock: the scheduler starts it, the workers send (and PDFs are rendered by
# wkhtmltopdf from the site's own pages): every service of the bench must run
HERE=$(cd "$(dirname "$0")" && pwd)
SERVICES="$HERE/services.sh"
if ! BENCH=$BENCH bash "$SERVICES" status >/dev/null 2>&1; then
	echo "Starting the bench's services (scripts/services.sh start):"
	BENCH=$BENCH bash "$SERVICES" start | sed 's/^/  /' || {
		echo "The services did not start: BENCH=$BENCH bash $SERVICES status"
		exit 1
	}
fi

# frappe's Python in the bench's sites folder (what `bench` runs), so that it works as root without
# bench's frappe_user check; cssutils' warnings about CSS3 properties are left out of the screen
cd "$BENCH/sites" && "$PY" "$HERE/demo_clock.py" --site "$SITE" ${AS_OF:+--date "$AS_OF"} \
	$([ "$FORCE" = 1 ] && echo --force) \
	2> >(grep -v -E "^(WARNING|ERROR)[[:space:]]+(Property|PropertyValue|CSSStyleDeclaration)" >&2)
