#!/usr/bin/env bash
# Install / uninstall / upgrade lifecycle of relance_app on a new site of an existing bench.
#
#   scripts/lifecycle_test.sh
#
# One new site with ERPNext (a French company, customers, overdue invoices), whose module map was
# cached before the app joined the bench; then:
#   install that fails at a step (undone, message with the retry command), the retry command,
#   one dunning run, a user's edits, uninstall, what is left per table and a sweep of every text
#   column, Customer and Sales Invoice forms and lists, ERPNext's data unchanged, re-install
#   (finds the kept template), one run again; the issue's report reproduced with the previous
#   release (its install on a stale cache fails and leaves the app listed) and `migrate` to the
#   current release completing that half-installed site; then the upgrade: the previous release
#   installed with a policy, logs and a hold, the current release migrated over it, all intact.
# Every step prints its duration. The site is dropped at the end (RELANCE_LIFECYCLE_KEEP=1 keeps it).
#
# Which relance_app runs is chosen per command with PYTHONPATH (the checkout of this script, or a
# git worktree of the previous release): the bench's apps/relance_app link, which other people
# use, is never changed.
#
# Environment (defaults):
#   RELANCE_BENCH=~/frappe-bench   RELANCE_LIFECYCLE_SITE=lifecycle.relance.test
#   RELANCE_PREV_COMMIT=4994fcc    (the previous release, a commit of this repository)
#   MARIADB_ROOT_PASSWORD=root     RELANCE_LIFECYCLE_KEEP=0
set -uo pipefail

CHECKOUT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${RELANCE_BENCH:-$HOME/frappe-bench}
SITE=${RELANCE_LIFECYCLE_SITE:-lifecycle.relance.test}
PREV=${RELANCE_PREV_COMMIT:-4994fcc}
DB_PW=${MARIADB_ROOT_PASSWORD:-root}
KEEP=${RELANCE_LIFECYCLE_KEEP:-0}
PY="$BENCH/env/bin/python"
LOG_DIR=$(mktemp -d /tmp/relance-lifecycle.XXXXXX)
PREV_DIR="$LOG_DIR/prev-release"
CODE="$CHECKOUT" # the relance_app the next commands import
T0=$(date +%s)

if [ ! -x "$PY" ] || [ ! -d "$BENCH/sites" ]; then
	echo "No bench at $BENCH: lifecycle test skipped."
	exit 0
fi
DEFAULT_SITE=$("$PY" -c "import json; print(json.load(open('$BENCH/sites/common_site_config.json')).get('default_site', ''))" 2>/dev/null)
for other in "$DEFAULT_SITE" "$(cat "$BENCH/sites/currentsite.txt" 2>/dev/null)" relance.test; do
	# the lifecycle drops its site at the end: never one that people work on
	[ -n "$other" ] && [ "$SITE" = "$other" ] && { echo "refusing to use $SITE: it is the bench's own site"; exit 1; }
done
LINK_BEFORE=$(readlink "$BENCH/apps/relance_app" 2>/dev/null || echo "")
# one lifecycle at a time on a bench (they would share the site)
exec 9>"/tmp/relance-lifecycle-$(echo "$BENCH" | md5sum | cut -c1-8).lock"
flock -w 1800 9 || { echo "another lifecycle test holds the bench's lock"; exit 1; }

cleanup() {
	local rc=$?
	if [ "$KEEP" != "1" ] && [ -d "$BENCH/sites/$SITE" ]; then
		drop_site >"$LOG_DIR/drop-site.log" 2>&1 \
			&& echo "site $SITE dropped" || echo "WARNING: could not drop $SITE (see $LOG_DIR/drop-site.log)"
	fi
	if [ -d "$PREV_DIR" ]; then
		git -C "$CHECKOUT" worktree remove --force "$PREV_DIR" >/dev/null 2>&1 || rm -rf "$PREV_DIR"
		git -C "$CHECKOUT" worktree prune >/dev/null 2>&1
	fi
	local link_now
	link_now=$(readlink "$BENCH/apps/relance_app" 2>/dev/null || echo "")
	if [ "$link_now" != "$LINK_BEFORE" ]; then
		# someone else changed it meanwhile (this script never does): theirs to restore
		echo "note: apps/relance_app now points to $link_now (was $LINK_BEFORE); this test did not touch it"
	fi
	echo "lifecycle total $(($(date +%s) - T0)) s, logs in $LOG_DIR"
	exit $rc
}
trap cleanup EXIT

frappe_cmd() { (cd "$BENCH/sites" && PYTHONPATH="$CODE" "$PY" -m frappe.utils.bench_helper frappe "$@"); }
py_step() { (cd "$BENCH/sites" && PYTHONPATH="$CODE" "$PY" "$CHECKOUT/scripts/lifecycle.py" --site "$SITE" "$@"); }

# step NAME CMD...: runs CMD, output in $LOG_DIR/NAME.log; prints the duration and what the step
# printed for the reader (lines starting with "  > ", and the app's own messages).
N=0
step() {
	local name=$1 log t0 rc
	shift
	N=$((N + 1))
	log="$LOG_DIR/$(printf '%02d' $N)-$name.log"
	t0=$(date +%s.%N)
	"$@" >"$log" 2>&1
	rc=$?
	printf '%-34s %7.1f s  %s\n' "$N. $name" "$(awk "BEGIN {print $(date +%s.%N) - $t0}")" "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")"
	grep -E '^  > |^Relance[ :]|^These Email Templates|^The emails sent|^RETRY:|^Dry run' "$log" | sed 's/^  > //; s/^/      /'
	if [ $rc -ne 0 ]; then
		echo "!! step $name failed; last lines of $log:"
		tail -n 25 "$log" | sed 's/^/   | /'
		exit 1
	fi
}

site_cmd() { frappe_cmd --site "$SITE" "$@"; }

drop_site() {
	frappe_cmd drop-site "$SITE" --force --no-backup --db-root-username root --db-root-password "$DB_PW"
	local rc=$?
	rm -rf "$BENCH/sites/$SITE" "$BENCH/archived/sites/$SITE"* 2>/dev/null
	return $rc
}
new_site() {
	if [ -d "$BENCH/sites/$SITE" ]; then
		echo "  > $SITE left by an earlier run: dropped first"
		drop_site >/dev/null 2>&1
	fi
	# --force: a database of that name left by an interrupted run is replaced
	frappe_cmd new-site "$SITE" --force --db-root-username root --db-root-password "$DB_PW" \
		--admin-password admin --install-app erpnext
}
fill_cache() { site_cmd list-apps; }
install_app() { site_cmd install-app relance_app; }
uninstall_app() { site_cmd uninstall-app relance_app --yes --no-backup; }
relance_run() { site_cmd relance run; }
migrate() { site_cmd migrate --skip-search-index; }
prev_worktree() {
	git -C "$CHECKOUT" worktree add --detach "$PREV_DIR" "$PREV" \
		&& echo "  > previous release $(git -C "$PREV_DIR" log -1 --format='%h %s' | cut -c1-90)"
}
retry_install() {
	# the command the failed install printed, as bench runs it
	local cmd
	cmd=$(grep -h '^RETRY: ' "$LOG_DIR"/*-install-failing-at-a-step.log | head -n 1 | sed 's/^RETRY: //')
	[ "$cmd" = "bench --site $SITE install-app relance_app" ] || { echo "unexpected retry command: $cmd"; return 1; }
	echo "  > running: $cmd"
	install_app
}
prev_install_breaks() {
	# the failure issue 17 reports: the previous release's install fails, and the site lists the app
	if install_app >"$LOG_DIR/prev-stale-install.log" 2>&1; then
		echo "the previous release installed on a stale cache: the reproduction did not reproduce"
		return 1
	fi
	grep -m 1 "An error occurred while installing relance_app" "$LOG_DIR/prev-stale-install.log" | sed 's/^/  > /'
	grep -q "WrongOptionsDoctypeLinkError" "$LOG_DIR/prev-stale-install.log" || return 1
	installed_apps | grep -q '"relance_app"' || return 1
	echo "  > and the site has relance_app among its installed apps, without its DocTypes"
}
migrate_completes() {
	migrate >"$LOG_DIR/migrate-repair.log" 2>&1 || { tail -n 20 "$LOG_DIR/migrate-repair.log"; return 1; }
	grep "^Relance: completed an unfinished install" "$LOG_DIR/migrate-repair.log" || return 1
}
installed_apps() { site_cmd execute frappe.get_installed_apps 2>/dev/null | tail -n 1; }
assert_not_installed() {
	site_cmd list-apps | tee /dev/stderr | grep -q "^relance_app" && return 1
	installed_apps | tee /dev/stderr | grep -q '"relance_app"' && return 1
	echo "  > neither list-apps nor the installed apps name relance_app"
}

echo "== relance_app lifecycle on $SITE (bench $BENCH, checkout $CHECKOUT)"
step new-site new_site
step setup-company-invoices py_step setup
step cache-filled-before-app fill_cache
step stale-module-map py_step stale-cache
step erpnext-snapshot py_step erp-snapshot "$LOG_DIR/erpnext.json"
step install-failing-at-a-step py_step install-failing
step not-listed-as-installed assert_not_installed
step stale-module-map-again py_step stale-cache
step install-retry-command retry_install
step verify-installed py_step verify-installed
step settings-every-day site_cmd execute frappe.db.set_single_value --args '["Relance Settings", "business_days_only", 0]'
step relance-run relance_run
step verify-run py_step verify-run
step user-edits py_step user-touches
step uninstall-dry-run site_cmd uninstall-app relance_app --dry-run
step uninstall uninstall_app
step leftovers py_step leftovers
step forms-and-lists-open py_step forms-open
step erpnext-data-unchanged py_step erp-compare "$LOG_DIR/erpnext.json"
step reinstall install_app
step verify-reinstall py_step verify-reinstall
step settings-every-day-2 site_cmd execute frappe.db.set_single_value --args '["Relance Settings", "business_days_only", 0]'
step relance-run-again relance_run
step verify-run-again py_step verify-run
step uninstall-for-upgrade uninstall_app
step leftovers-again py_step leftovers
step previous-release-worktree prev_worktree
# the issue's report, with the previous release: a cache filled before the app joined the bench
step stale-module-map-3 py_step stale-cache
CODE="$PREV_DIR"
step previous-release-on-stale-cache prev_install_breaks
CODE="$CHECKOUT"
step migrate-completes-half-install migrate_completes
step verify-installed-after-repair py_step verify-installed
step uninstall-repaired uninstall_app
step delete-kept-template py_step delete-kept-template
CODE="$PREV_DIR"
step install-previous-release install_app
step settings-every-day-prev site_cmd execute frappe.db.set_single_value --args '["Relance Settings", "business_days_only", 0]'
step relance-run-previous relance_run
step policy-log-hold-previous py_step upgrade-data "$LOG_DIR/upgrade.json"
CODE="$CHECKOUT"
step migrate-to-current migrate
step verify-upgrade py_step verify-upgrade "$LOG_DIR/upgrade.json"
step relance-run-after-upgrade relance_run
echo "== lifecycle passed"
