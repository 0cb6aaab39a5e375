#!/usr/bin/env bash
# One command from a bare Debian/Ubuntu machine to a running ERPNext v15 site with relance_app.
#
#   scripts/setup_bench.sh            # as root or as a user with sudo
#
# Idempotent: run it again and it reuses everything, only starting the services that are down
# (seconds). Each step prints its duration; on failure, the step and the log file to read.
#
# Environment (defaults):
#   BENCH=~/frappe-bench                     where the bench goes (outside this repository)
#   SITE=relance.test                        site name (also put in /etc/hosts)
#   FRAPPE_REPO=https://github.com/frappe/frappe      a URL, a working tree or a bare repository
#   ERPNEXT_REPO=https://github.com/frappe/erpnext
#   BRANCH=version-15
#   MARIADB_ROOT_PASSWORD=root   ADMIN_PASSWORD=admin
#   COUNTRY=France  CURRENCY=EUR  TIMEZONE=Europe/Paris  COMPANY="Relance Demo SARL"
#   E2E=1                                    also install chromium and e2e/'s npm packages
#   PORT                                     web server port (default: the bench's webserver_port, which
#                                            bench init sets to 8000, or the next free one beside
#                                            other benches in the same folder)
#   SOCKETIO_PORT                            socket.io port (default: the bench's socketio_port, 9000 or
#                                            the next one beside other benches; the next free one when
#                                            another bench's process listens there)
#   READY_FILE=/tmp/bench-ready              written with "BENCH SITE" once the site is served
#                                            (BENCH/.bench-ready for a bench elsewhere)
#   LOG_DIR=/tmp/relance-setup-logs          one log file per step (-NAME appended for a bench elsewhere)
#
# At the end it starts the bench's processes with scripts/services.sh (web, socketio, scheduler, short
# and long workers) and prints their status; a rerun after a reboot brings them all back.
set -uo pipefail

CHECKOUT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BENCH:-$HOME/frappe-bench}
case "$BENCH" in /*) ;; *) BENCH="$PWD/$BENCH" ;; esac
SITE=${SITE:-relance.test}
FRAPPE_REPO=${FRAPPE_REPO:-https://github.com/frappe/frappe}
ERPNEXT_REPO=${ERPNEXT_REPO:-https://github.com/frappe/erpnext}
BRANCH=${BRANCH:-version-15}
DB_PW=${MARIADB_ROOT_PASSWORD:-root}
ADMIN_PASSWORD=${ADMIN_PASSWORD:-admin}
COUNTRY=${COUNTRY:-France}
CURRENCY=${CURRENCY:-EUR}
TIMEZONE=${TIMEZONE:-Europe/Paris}
COMPANY=${COMPANY:-Relance Demo SARL}
E2E=${E2E:-1}
PORT=${PORT:-}
# /tmp/bench-ready announces the default bench; another bench gets its own marker
if [ "$BENCH" = "$HOME/frappe-bench" ]; then READY_FILE=${READY_FILE:-/tmp/bench-ready}; fi
READY_FILE=${READY_FILE:-$BENCH/.bench-ready}
if [ "$BENCH" = "$HOME/frappe-bench" ]; then LOG_DIR=${LOG_DIR:-/tmp/relance-setup-logs}; fi
LOG_DIR=${LOG_DIR:-/tmp/relance-setup-logs-$(basename "$BENCH")}
SRC_DIR=${SRC_DIR:-$(dirname "$BENCH")/.relance-bench-src}
BENCH_CLI_ENV=${BENCH_CLI_ENV:-$HOME/.local/share/relance-bench-cli}

mkdir -p "$LOG_DIR"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
export PATH="$HOME/.local/bin:$BENCH_CLI_ENV/bin:$PATH"
TOTAL_START=$(date +%s)
CHANGED=0 # set by steps that installed something the web server must reload

# --- step runner ------------------------------------------------------------------------------
# step NAME FUNCTION: runs FUNCTION with its output in $LOG_DIR/NAME.log, prints the duration.
step() {
	local name=$1 fn=$2 log="$LOG_DIR/$1.log" t0 rc
	t0=$(date +%s)
	printf '%-28s ' "$name"
	"$fn" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		printf 'FAILED after %ss\n' "$(($(date +%s) - t0))"
		echo
		echo "!! setup_bench.sh: step '$name' failed (exit $rc). Read the log: $log"
		echo "!! last lines:"
		tail -n 25 "$log" | sed 's/^/   /'
		exit 1
	fi
	printf '%4ss  %s\n' "$(($(date +%s) - t0))" "$(tail -n 1 "$log" | cut -c1-90)"
}
# bg_step NAME FUNCTION starts a step in the background; bg_wait NAME prints it when it is done.
declare -A BG_PIDS
bg_step() {
	(step "$1" "$2") >"$LOG_DIR/$1.step" 2>&1 &
	BG_PIDS[$1]=$!
}
bg_wait() {
	local rc=0
	wait "${BG_PIDS[$1]}" || rc=$?
	cat "$LOG_DIR/$1.step"
	[ $rc -eq 0 ] || exit 1
}
note() { echo "$*"; } # the last line a step prints is shown next to its duration

in_bench() { (cd "$BENCH" && bench "$@"); }
site_py() { "$BENCH/env/bin/python" -c "$1"; }
site_config_get() {
	site_py "import json; print(json.load(open('$BENCH/sites/$SITE/site_config.json')).get('$1', ''))" 2>/dev/null
}

# --- steps ------------------------------------------------------------------------------------
APT_PACKAGES="mariadb-server mariadb-client redis-server wkhtmltopdf xfonts-75dpi fonts-dejavu-core
	libmariadb-dev pkg-config git curl python3-dev python3-venv python3-pip build-essential poppler-utils"
missing_packages() {
	local p out=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || out="$out $p"
	done
	echo "$out"
}
apt_install() {
	local missing
	missing=$(missing_packages "$@")
	if [ -z "$missing" ]; then
		note "all present"
		return 0
	fi
	echo "installing:$missing"
	$SUDO apt-get update -q || return 1
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing || return 1
	note "installed:$missing"
}
step_apt() {
	# shellcheck disable=SC2086
	apt_install $APT_PACKAGES || return 1
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		apt_install nodejs npm || return 1
	fi
	local major
	major=$(node -e 'console.log(process.versions.node.split(".")[0])')
	[ "$major" -ge 18 ] || {
		echo "Node $major is too old for Frappe 15 (needs 18+)"
		return 1
	}
}

step_pdf_engine() {
	# relance_app's PDF engine (Relance Settings > PDF Engine: Automatic, chosen on install): the headless
	# shell first, the browser without its desktop, quicker per document than chromium's own headless mode
	if apt_install chromium-headless-shell fonts-liberation; then
		note "$(/usr/lib/chromium/chromium-headless-shell --version 2>/dev/null || echo chromium-headless-shell)"
	else
		note "chromium-headless-shell not installable here: relance PDFs by chromium if present, else wkhtmltopdf (bench relance doctor says which)"
	fi
}

db_tcp_ok() { mysql -h127.0.0.1 -uroot -p"$DB_PW" -e "select 1" >/dev/null 2>&1; }
db_alive() { $SUDO mysqladmin --connect-timeout=2 status >/dev/null 2>&1 || db_tcp_ok; }
start_mariadb() {
	if db_alive; then return 0; fi
	if [ -d /run/systemd/system ]; then
		$SUDO systemctl start mariadb
	else
		$SUDO mkdir -p /run/mysqld && $SUDO chown mysql:mysql /run/mysqld 2>/dev/null
		$SUDO sh -c 'nohup mysqld_safe >/dev/null 2>&1 &'
	fi
	for _ in $(seq 1 60); do db_alive && return 0; sleep 1; done
	echo "MariaDB did not start (see /var/log/mysql/error.log or the syslog)"
	return 1
}
step_mariadb() {
	local conf=/etc/mysql/mariadb.conf.d/99-frappe.cnf restart=0
	[ -d /etc/mysql/mariadb.conf.d ] || conf=/etc/mysql/conf.d/99-frappe.cnf
	local want="[mysqld]
character-set-client-handshake = FALSE
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
bind-address = 127.0.0.1

[mysql]
default-character-set = utf8mb4
"
	if ! printf '%s' "$want" | cmp -s - "$conf"; then
		printf '%s' "$want" | $SUDO tee "$conf" >/dev/null
		db_alive && restart=1
	fi
	if [ $restart -eq 1 ]; then
		echo "charset configuration changed: restarting MariaDB"
		$SUDO mysqladmin shutdown 2>/dev/null || mysqladmin -h127.0.0.1 -uroot -p"$DB_PW" shutdown
		for _ in $(seq 1 30); do db_alive || break; sleep 1; done
	fi
	start_mariadb || return 1
	if ! db_tcp_ok; then
		# Debian's fresh server lets root in through the socket only (unix_socket): add a password
		echo "setting the root password (socket and password both accepted)"
		$SUDO mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('$DB_PW'); FLUSH PRIVILEGES;" || return 1
	fi
	db_tcp_ok || {
		echo "root cannot log in over TCP with MARIADB_ROOT_PASSWORD"
		return 1
	}
	note "up, utf8mb4, root password checked over TCP ($(mysql -h127.0.0.1 -uroot -p"$DB_PW" -Nse 'select version()'))"
}

step_bench_cli() {
	if ! command -v bench >/dev/null; then
		python3 -m venv "$BENCH_CLI_ENV" || return 1
		"$BENCH_CLI_ENV/bin/pip" install -q frappe-bench || return 1
		mkdir -p "$HOME/.local/bin"
		ln -sfn "$BENCH_CLI_ENV/bin/bench" "$HOME/.local/bin/bench"
	fi
	if ! command -v yarn >/dev/null; then
		$SUDO npm install -g yarn@1.22.22 || return 1
	fi
	note "bench $(bench --version 2>/dev/null), yarn $(yarn --version)"
}

# A local repository (bare or not) is cloned into SRC_DIR: bench reads a local path as a working tree.
source_of() {
	local repo=$1 name=$2
	if [ -d "$repo" ]; then
		if [ ! -d "$SRC_DIR/$name/.git" ]; then
			git clone -q --branch "$BRANCH" "$repo" "$SRC_DIR/$name" >&2 || return 1
		fi
		echo "$SRC_DIR/$name"
	else
		echo "$repo"
	fi
}
# bench refuses root unless the current directory's sites/common_site_config.json names frappe_user
bench_as_root_dir() {
	local d=$1
	if [ "$(id -u)" -eq 0 ]; then
		mkdir -p "$d/sites"
		site_json_set "$d/sites/common_site_config.json" frappe_user '"root"'
	fi
}
site_json_set() { # FILE KEY JSON_VALUE
	python3 - "$1" "$2" "$3" <<'EOF'
import json, os, sys
path, key, value = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
data = json.load(open(path)) if os.path.exists(path) else {}
if data.get(key) != value:
    data[key] = value
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
EOF
}
step_bench_init() {
	if [ -x "$BENCH/env/bin/python" ] && [ -d "$BENCH/apps/frappe" ]; then
		bench_as_root_dir "$BENCH"
		note "reusing $BENCH"
		return 0
	fi
	[ -e "$BENCH" ] && {
		echo "$BENCH exists but is not a complete bench (no env or apps/frappe): move it away"
		return 1
	}
	local src init_dir="$LOG_DIR/init-cwd"
	mkdir -p "$SRC_DIR" "$(dirname "$BENCH")"
	src=$(source_of "$FRAPPE_REPO" frappe) || return 1
	bench_as_root_dir "$init_dir"
	# --no-backups: no crontab needed (none on a bare machine); assets are built once, later
	if ! (cd "$init_dir" && bench init "$BENCH" --frappe-path "$src" --frappe-branch "$BRANCH" \
		--skip-assets --no-backups </dev/null); then
		echo "bench init failed: removing the partial $BENCH (it did not exist before this run)"
		rm -rf "$BENCH"
		return 1
	fi
	bench_as_root_dir "$BENCH"
	note "bench initialised from $src"
}
bench_pip() { # pip of the bench's env (bench makes it with uv or venv)
	if "$BENCH/env/bin/python" -m pip --version >/dev/null 2>&1; then
		"$BENCH/env/bin/python" -m pip install -q "$@"
	else
		uv pip install -q --python "$BENCH/env/bin/python" "$@"
	fi
}
test_extra() { # the `test` extra of the checkout's pyproject.toml, one requirement a line
	"$BENCH/env/bin/python" - "$CHECKOUT/pyproject.toml" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
try:
    import tomllib
    deps = tomllib.loads(text)["project"]["optional-dependencies"]["test"]
except ImportError:  # Python 3.10
    block = re.search(r"^test\s*=\s*\[(.*?)\]", text, re.S | re.M).group(1)
    deps = re.findall(r'"([^"]+)"', block)
print("\n".join(deps))
EOF
}
step_bench_env() {
	# Frappe 15 still imports pkg_resources, removed by setuptools 81; the test extra (aiosmtpd,
	# hypothesis...) for the integration suite and the demo
	local stamp="$BENCH/env/.relance-test-extra" deps
	deps=$(test_extra) || return 1
	if [ "$(cat "$stamp" 2>/dev/null)" != "$deps" ] || ! "$BENCH/env/bin/python" -c "import pkg_resources" 2>/dev/null; then
		# shellcheck disable=SC2086
		bench_pip "setuptools<81" $deps || return 1
		echo "$deps" >"$stamp"
	fi
	note "setuptools $("$BENCH/env/bin/python" -c 'import setuptools; print(setuptools.__version__)'), test extra: $(echo $deps)"
}
step_assets() {
	if [ -f "$BENCH/sites/assets/assets.json" ] && grep -q erpnext "$BENCH/sites/assets/assets.json"; then
		note "assets already built"
		return 0
	fi
	in_bench build || return 1
	# a site that existed before the build may hold the old asset names in its cache
	if [ -n "$(site_config_get db_name)" ]; then in_bench --site "$SITE" clear-cache || return 1; fi
	note "assets built"
}
step_get_erpnext() {
	if [ -d "$BENCH/apps/erpnext" ] && "$BENCH/env/bin/python" -c "import erpnext" 2>/dev/null; then
		note "erpnext already in the bench"
		return 0
	fi
	local src
	src=$(source_of "$ERPNEXT_REPO" erpnext) || return 1
	in_bench get-app "$src" --branch "$BRANCH" --skip-assets || return 1
	note "erpnext fetched from $src"
}
step_bytecode() {
	# Where PYTHONDONTWRITEBYTECODE is set (as on these machines) Python writes no .pyc, and uv installs
	# none: every RQ job's fresh process would compile some 800 modules again (about 1.2 s a job). A
	# production bench has them (pip compiles on install, Python caches on first import).
	local stamp="$BENCH/env/.relance-bytecode" key
	key="$(git -C "$BENCH/apps/frappe" rev-parse HEAD 2>/dev/null) $(git -C "$BENCH/apps/erpnext" rev-parse HEAD 2>/dev/null) $(ls -d "$BENCH"/env/lib/python3*/site-packages/*.dist-info | md5sum)"
	if [ "$(cat "$stamp" 2>/dev/null)" != "$key" ]; then
		"$BENCH/env/bin/python" -m compileall -q -j 0 "$BENCH/apps/frappe/frappe" "$BENCH/apps/erpnext/erpnext" \
			"$BENCH"/env/lib/python3*/site-packages >/dev/null 2>&1 # some old packages' files do not compile: skipped
		echo "$key" >"$stamp"
		note "bytecode compiled: frappe, erpnext, the env's packages, relance_app"
	else
		note "bytecode up to date (frappe, erpnext, the env's packages); relance_app compiled"
	fi
	"$BENCH/env/bin/python" -m compileall -q "$CHECKOUT/relance_app" >/dev/null || return 1
}
site_apps() { # apps installed on the site, read from its database (no Python import involved)
	local db
	db=$(site_config_get db_name)
	[ -n "$db" ] && mysql -h127.0.0.1 -uroot -p"$DB_PW" -Nse "select app_name from \`$db\`.\`tabInstalled Application\`" 2>/dev/null
}
step_new_site() {
	local force=""
	if [ -f "$BENCH/sites/$SITE/site_config.json" ]; then
		if site_apps | grep -q erpnext; then
			note "reusing site $SITE"
			return 0
		fi
		echo "site $SITE exists but has no ERPNext: re-creating it"
		force="--force"
	fi
	in_bench new-site "$SITE" $force --db-root-username root --db-root-password "$DB_PW" \
		--admin-password "$ADMIN_PASSWORD" --install-app erpnext || return 1
	CHANGED=1
	note "site $SITE created with ERPNext"
}
step_site_config() {
	local conf="$BENCH/sites/$SITE/site_config.json"
	site_json_set "$conf" allow_tests true || return 1
	site_json_set "$conf" host_name "\"http://$SITE:$PORT\"" || return 1
	# marks the site as made by this script: scripts/demo.sh refuses any other site
	site_json_set "$conf" relance_demo_site 1 || return 1
	site_json_set "$BENCH/sites/common_site_config.json" webserver_port "$PORT" || return 1
	# socket.io: the bench's port (bench init gives benches in the same folder their own), or the next
	# free one when a process of another bench listens on it
	local sio owner
	sio=${SOCKETIO_PORT:-$(bench_conf socketio_port)}
	sio=${sio:-9000}
	owner=$(port_owner_cwd "$sio")
	if [ -n "$owner" ] && [ "$owner" != "$(readlink -f "$BENCH")" ]; then
		[ -z "${SOCKETIO_PORT:-}" ] || {
			echo "SOCKETIO_PORT $sio is taken by a process running in $owner"
			return 1
		}
		while [ -n "$(port_owner_cwd "$sio")" ]; do sio=$((sio + 1)); done
	fi
	site_json_set "$BENCH/sites/common_site_config.json" socketio_port "$sio" || return 1
	# bench use: Frappe's web server (frappe serve) serves the default site only, whatever the host
	# asked for, so a web server started while another site was the default must be restarted
	if [ "$(bench_conf default_site)" != "$SITE" ]; then CHANGED=1; fi
	site_json_set "$BENCH/sites/common_site_config.json" default_site "\"$SITE\"" || return 1
	if ! grep -qE "^127\.0\.0\.1[[:space:]].*[[:space:]]$SITE([[:space:]]|$)" /etc/hosts; then
		echo "127.0.0.1	$SITE" | $SUDO tee -a /etc/hosts >/dev/null
	fi
	note "allow_tests, host_name http://$SITE:$PORT, socketio :$sio, default site, /etc/hosts"
}
bench_conf() { # KEY: a value of the bench's sites/common_site_config.json
	python3 -c "import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ''))" \
		"$BENCH/sites/common_site_config.json" "$1" 2>/dev/null
}
port_owner_cwd() { # PORT: the working directory of the process listening on it, if any
	local pid
	pid=$(ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
	[ -n "$pid" ] && readlink -f "/proc/$pid/cwd"
}
site_sql() { mysql -h127.0.0.1 -uroot -p"$DB_PW" -Nse "$1" "$(site_config_get db_name)"; }
setup_done() {
	# v15 keeps the setup state per app (frappe.is_setup_complete)
	[ "$(site_sql "select count(*) from \`tabInstalled Application\` where app_name in ('frappe', 'erpnext') and is_setup_complete = 1")" = "2" ] \
		&& [ -n "$(site_sql 'select name from tabCompany limit 1')" ]
}
step_setup_wizard() {
	if setup_done; then
		note "setup already complete ($(site_sql 'select name from tabCompany limit 1'))"
		return 0
	fi
	local year abbr args
	year=$(date +%Y)
	abbr=$(echo "$COMPANY" | tr -cd 'A-Z' | cut -c1-4)
	args=$(
		python3 - "$COUNTRY" "$CURRENCY" "$TIMEZONE" "$COMPANY" "${abbr:-RD}" "$year" "$ADMIN_PASSWORD" <<'EOF'
import json, sys
country, currency, tz, company, abbr, year, password = sys.argv[1:]
print(json.dumps({"args": {
    "currency": currency, "country": country, "timezone": tz, "language": "english",
    "full_name": "Relance Demo", "email": "demo@relance-app.example", "password": password,
    "company_name": company, "company_abbr": abbr, "company_tagline": "Relance demo",
    "industry": "Services", "chart_of_accounts": "Standard",
    "fy_start_date": f"{year}-01-01", "fy_end_date": f"{year}-12-31",
}}))
EOF
	)
	in_bench --site "$SITE" execute frappe.desk.page.setup_wizard.setup_wizard.setup_complete --kwargs "$args" || return 1
	setup_done || {
		echo "setup wizard ran but the setup is not complete or no Company exists"
		return 1
	}
	note "setup complete: $COMPANY ($COUNTRY, $CURRENCY)"
}
step_link_app() {
	local app="$BENCH/apps/relance_app"
	if [ -L "$app" ]; then
		[ "$(readlink -f "$app")" = "$CHECKOUT" ] || ln -sfn "$CHECKOUT" "$app"
	elif [ -e "$app" ]; then
		echo "$app exists and is not a link: move it away"
		return 1
	else
		ln -s "$CHECKOUT" "$app"
	fi
	if ! (cd / && "$BENCH/env/bin/python" -c "import relance_app, os, sys; sys.exit(0 if os.path.realpath(relance_app.__file__).startswith('$CHECKOUT/') else 1)" 2>/dev/null); then
		bench_pip --no-deps -e "$app" || return 1
	fi
	grep -qx relance_app "$BENCH/sites/apps.txt" || printf '\nrelance_app\n' >>"$BENCH/sites/apps.txt"
	sed -i '/^$/d' "$BENCH/sites/apps.txt"
	# the app's public files (no bundles to build), served as /assets/relance_app/ (bench build links
	# them too)
	if [ -d "$BENCH/sites/assets" ] && [ ! -e "$BENCH/sites/assets/relance_app" ]; then
		ln -s "$app/relance_app/public" "$BENCH/sites/assets/relance_app" || return 1
	fi
	note "apps/relance_app -> $CHECKOUT"
}
step_install_app() {
	if site_apps | grep -q relance_app; then
		note "relance_app already installed on $SITE"
	else
		in_bench --site "$SITE" install-app relance_app || return 1
		CHANGED=1
		note "relance_app installed on $SITE"
	fi
	# Debian's wkhtmltopdf is unpatched: a repeated header would take the invoice heading away
	if [ "$(site_sql "select value from tabSingles where doctype='Print Settings' and field='repeat_header_footer'")" != "0" ]; then
		in_bench --site "$SITE" execute frappe.db.set_single_value \
			--args '["Print Settings", "repeat_header_footer", 0]' >/dev/null || return 1
	fi
}

redis_ports() { awk '$1 == "port" {print $2}' "$BENCH/config/redis_cache.conf" "$BENCH/config/redis_queue.conf"; }
step_redis() {
	local conf port started=""
	for conf in "$BENCH/config/redis_cache.conf" "$BENCH/config/redis_queue.conf"; do
		[ -f "$conf" ] || (cd "$BENCH" && bench setup redis) || return 1
		port=$(awk '$1 == "port" {print $2}' "$conf")
		if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
			(cd "$BENCH/config" && redis-server "$conf" --daemonize yes) || return 1
			for _ in $(seq 1 20); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.5; done
			started="$started $port"
		fi
		redis-cli -p "$port" ping >/dev/null 2>&1 || return 1
	done
	note "redis up on ports $(redis_ports | tr '\n' ' ')${started:+(started:$started)}"
}

SERVICES="$CHECKOUT/scripts/services.sh"
step_services() {
	# the bench's Procfile processes, daemonised: web, socketio, scheduler, short and long workers
	if [ "$CHANGED" -eq 1 ]; then
		# a web server or a worker started before an app was installed does not import it
		echo "restarting the services (apps or the default site changed)"
		BENCH="$BENCH" PORT="$PORT" bash "$SERVICES" stop || return 1
	fi
	BENCH="$BENCH" PORT="$PORT" bash "$SERVICES" start || return 1
	note "web :$PORT, socketio :$(bench_conf socketio_port), schedule, worker-short, worker-long up (logs in $BENCH/logs)"
}
step_check_site() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$SITE:$PORT/assets/relance_app/js/relance_common.js")
	[ "$code" = "200" ] || {
		echo "http://$SITE:$PORT/assets/relance_app/js/relance_common.js answered $code"
		return 1
	}
	echo "$BENCH $SITE" >"$READY_FILE"
	note "http://$SITE:$PORT serves relance_app; wrote $READY_FILE"
}
step_e2e() {
	apt_install chromium fonts-liberation || return 1
	if [ ! -d "$CHECKOUT/e2e/node_modules/playwright-core" ]; then
		(cd "$CHECKOUT/e2e" && npm install --no-audit --no-fund) || return 1
	fi
	note "chromium $(chromium --version 2>/dev/null | awk '{print $2}'), playwright-core in e2e/node_modules"
}

echo "setup_bench.sh: bench $BENCH, site $SITE, checkout $CHECKOUT (logs in $LOG_DIR)"
step apt-packages step_apt
step pdf-engine step_pdf_engine
step mariadb step_mariadb
step bench-cli-yarn step_bench_cli
step bench-init step_bench_init
if [ -z "$PORT" ]; then
	PORT=$(python3 -c "import json; print(json.load(open('$BENCH/sites/common_site_config.json')).get('webserver_port', 8000))")
fi
step bench-env step_bench_env
step get-app-erpnext step_get_erpnext
step redis step_redis
step link-relance-app step_link_app
step bytecode step_bytecode
bg_step assets step_assets # 3-4 minutes of esbuild, meanwhile the site is made
step new-site step_new_site
step site-config step_site_config
step setup-wizard step_setup_wizard
step install-relance-app step_install_app
bg_wait assets
step services step_services
step check-site step_check_site
if [ "$E2E" = "1" ]; then step browser-test-deps step_e2e; fi
echo "ready in $(($(date +%s) - TOTAL_START))s: http://$SITE:$PORT/app (Administrator / $ADMIN_PASSWORD)"
echo "  bench $BENCH, site $SITE; demo: scripts/demo.sh; tests: bash .ci/run"
echo "  services: scripts/services.sh status|stop|start|restart (BENCH=$BENCH)"
BENCH="$BENCH" PORT="$PORT" bash "$SERVICES" status
