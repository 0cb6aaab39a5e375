#!/usr/bin/env bash
# The bench's processes, as its Procfile runs them under `bench start`, daemonised: each with its log in
# BENCH/logs/ and its pid file in BENCH/config/pids/.
#
#   scripts/services.sh start   [NAME...]   start what is down (and the bench's Redis servers if down)
#   scripts/services.sh stop    [NAME...]   stop them (SIGTERM, then SIGKILL after STOP_TIMEOUT seconds)
#   scripts/services.sh restart [NAME...]
#   scripts/services.sh status  [NAME...]   pid, alive, port or queues of each; exit 3 if one is down
#
# NAME: web socketio schedule worker-short worker-long (default: all five).
#   web           frappe serve on the bench's webserver_port (PORT), with DEV_SERVER=1 as `bench start`
#                 sets it: the desk then opens its socket.io connection on socketio_port
#   socketio      node apps/frappe/socketio.js on socketio_port (realtime: list refreshes, messages)
#   schedule      the scheduler: every minute, enqueues each site's due scheduled jobs
#   worker-short  an RQ worker on short,default   (as `bench setup production` configures them)
#   worker-long   an RQ worker on long,default,short
# MariaDB and the Redis servers are data stores shared with whatever else uses them: `start` starts
# the bench's Redis servers when they are down, `stop` leaves them (and MariaDB) running.
#
# Environment: BENCH (default ~/frappe-bench), PORT (default the bench's webserver_port),
# STOP_TIMEOUT (seconds a worker may take to finish its job on stop, default 30).
# On a real server, `bench setup production USER` replaces all this with supervisor (these same
# processes, gunicorn for web) and nginx (serving /assets and proxying /socket.io on port 80).
set -uo pipefail

BENCH=${BENCH:-$HOME/frappe-bench}
case "$BENCH" in /*) ;; *) BENCH="$PWD/$BENCH" ;; esac
BENCH=${BENCH%/}
PY="$BENCH/env/bin/python"
PIDS="$BENCH/config/pids"
LOGS="$BENCH/logs"
STOP_TIMEOUT=${STOP_TIMEOUT:-30}
ALL="web socketio schedule worker-short worker-long"

[ -x "$PY" ] && [ -d "$BENCH/sites" ] && [ -d "$BENCH/apps/frappe" ] || {
	echo "services.sh: no bench at $BENCH (set BENCH)"
	exit 1
}
mkdir -p "$PIDS" "$LOGS"

conf() { # KEY DEFAULT: a value of sites/common_site_config.json
	"$PY" -c "import json, sys; v = json.load(open(sys.argv[1])).get(sys.argv[2]); print(sys.argv[3] if v in (None, '') else v)" \
		"$BENCH/sites/common_site_config.json" "$1" "$2" 2>/dev/null || echo "$2"
}
PORT=${PORT:-$(conf webserver_port 8000)}
SOCKETIO_PORT=$(conf socketio_port 9000)
redis_port() { conf "$1" "" | sed -E 's#.*:([0-9]+)/?.*#\1#'; }

# --- one service ---------------------------------------------------------------------------------
# cwd, command (one argument per line) and the word its command line must hold (pid reuse guard)
spec() {
	case "$1" in
		web) echo "$BENCH/sites" ;;
		socketio) echo "$BENCH" ;;
		schedule | worker-short | worker-long) echo "$BENCH/sites" ;;
		*) return 1 ;;
	esac
}
command_of() {
	local frappe_cli=("$PY" -m frappe.utils.bench_helper frappe)
	case "$1" in
		web) printf '%s\n' "${frappe_cli[@]}" serve --port "$PORT" --noreload ;;
		socketio) printf '%s\n' "$(command -v node)" "$BENCH/apps/frappe/socketio.js" ;;
		schedule) printf '%s\n' "${frappe_cli[@]}" schedule ;;
		worker-short) printf '%s\n' "${frappe_cli[@]}" worker --queue short,default ;;
		worker-long) printf '%s\n' "${frappe_cli[@]}" worker --queue long,default,short ;;
	esac
}
marker_of() {
	case "$1" in
		web) echo "serve" ;;
		socketio) echo "socketio.js" ;;
		schedule) echo "schedule" ;;
		worker-*) echo "worker" ;;
	esac
}
pidfile() { echo "$PIDS/relance-$1.pid"; }
logfile() { echo "$LOGS/$1.log"; }

pid_of() { # the live pid of a service started here, or nothing
	local f pid
	f=$(pidfile "$1")
	[ -f "$f" ] || return 1
	pid=$(cat "$f" 2>/dev/null)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(marker_of "$1")" || return 1
	case "$(readlink -f "/proc/$pid/cwd")" in "$(readlink -f "$BENCH")"*) ;; *) return 1 ;; esac
	echo "$pid"
}

listener_of() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2; }
web_ok() { curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$PORT/api/method/frappe.ping"; }
socketio_ok() { [ -n "$(listener_of "$SOCKETIO_PORT")" ]; }

# A process listening on PORT from this bench's sites folder, started by something else (an older
# setup_bench.sh, .ci/integration): adopted, so that stop and status know it.
adopt_web() {
	local pid
	pid=$(listener_of "$PORT")
	[ -n "$pid" ] || return 1
	[ "$(readlink -f "/proc/$pid/cwd")" = "$(readlink -f "$BENCH/sites")" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q serve || return 1
	echo "$pid" >"$(pidfile web)"
}

launch() { # NAME: starts it in a session of its own, every inherited descriptor closed
	local name=$1 cwd
	cwd=$(spec "$name")
	mapfile -t cmd < <(command_of "$name")
	"$PY" - "$cwd" "$(logfile "$name")" "$(pidfile "$name")" "$name" "${cmd[@]}" <<'EOF'
import os, subprocess, sys
cwd, log, pidfile, name, *cmd = sys.argv[1:]
env = dict(os.environ, PYTHONUNBUFFERED="1")
# a CI system's CI variable turns every background job into a test (Frappe's execute_job sets
# frappe.flags.in_test when CI is in the worker's environment): run inline, nothing queued. The bench
# runs as in production, whoever starts it.
env.pop("CI", None)
if name == "web":
    env["DEV_SERVER"] = "1"  # as `bench start`: the desk connects to socket.io on socketio_port
with open(log, "ab") as out:
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                         stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
with open(pidfile, "w") as f:
    f.write(str(p.pid))
EOF
}

rq_registered() { # PID: the RQ worker of that pid is registered in the bench's queue Redis
	local port name
	port=$(redis_port redis_queue)
	[ -n "$port" ] || return 1
	for name in $(redis-cli -p "$port" smembers rq:workers 2>/dev/null); do
		[ "$(redis-cli -p "$port" hget "$name" pid 2>/dev/null)" = "$1" ] && return 0
	done
	return 1
}

ready() { # NAME PID: the service does its job (answers, listens, registered)
	case "$1" in
		web) web_ok ;;
		socketio) [ "$(listener_of "$SOCKETIO_PORT")" = "$2" ] ;;
		schedule) kill -0 "$2" 2>/dev/null ;;
		worker-*) rq_registered "$2" ;;
	esac
}

start_one() {
	local name=$1 pid t0 other
	t0=$(date +%s)
	if pid=$(pid_of "$name"); then
		echo "$name: already running (pid $pid)"
		return 0
	fi
	rm -f "$(pidfile "$name")"
	if [ "$name" = web ] && web_ok; then
		if adopt_web; then
			echo "web: already answering on :$PORT (pid $(cat "$(pidfile web)"), adopted)"
			return 0
		fi
		other=$(listener_of "$PORT")
		echo "web: port $PORT is taken by pid $other in $(readlink -f "/proc/$other/cwd" 2>/dev/null), not this bench: set PORT"
		return 1
	fi
	if [ "$name" = socketio ] && socketio_ok; then
		other=$(listener_of "$SOCKETIO_PORT")
		echo "socketio: port $SOCKETIO_PORT is taken by pid $other ($(readlink -f "/proc/$other/cwd" 2>/dev/null)): set socketio_port in $BENCH/sites/common_site_config.json"
		return 1
	fi
	launch "$name" || return 1
	pid=$(cat "$(pidfile "$name")")
	for _ in $(seq 1 120); do
		ready "$name" "$pid" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if ready "$name" "$pid"; then
		# the scheduler takes a file lock: a second one would sleep forever doing nothing
		if [ "$name" = schedule ]; then
			sleep 2
			kill -0 "$pid" 2>/dev/null || {
				echo "schedule: exited at once (another scheduler holds $BENCH/config/scheduler_process?); see $(logfile schedule)"
				return 1
			}
		fi
		echo "$name: started (pid $pid, $(($(date +%s) - t0))s, log $(logfile "$name"))"
		return 0
	fi
	echo "$name: FAILED to start; last lines of $(logfile "$name"):"
	tail -n 15 "$(logfile "$name")" | sed 's/^/   /'
	return 1
}

stop_one() {
	local name=$1 pid limit=10 t0
	[ "${name#worker-}" != "$name" ] && limit=$STOP_TIMEOUT
	if ! pid=$(pid_of "$name"); then
		if [ "$name" = web ] && adopt_web; then
			pid=$(cat "$(pidfile web)")
		else
			rm -f "$(pidfile "$name")"
			echo "$name: not running"
			return 0
		fi
	fi
	t0=$(date +%s)
	# the whole process group: a worker's job process (and its Chromium) with it. An RQ worker
	# finishes the job in hand on SIGTERM (warm shutdown); a job cut short is redone by the app's
	# next run (each relance is committed once, under its unique key).
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $(($(date +%s) - t0)) -lt "$limit" ]; do sleep 0.5; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		echo "$name: killed (pid $pid) after ${limit}s"
	else
		echo "$name: stopped (pid $pid, $(($(date +%s) - t0))s)"
	fi
	rm -f "$(pidfile "$name")"
}

# --- data stores ---------------------------------------------------------------------------------
start_redis() {
	local conf port
	for conf in "$BENCH/config/redis_cache.conf" "$BENCH/config/redis_queue.conf"; do
		[ -f "$conf" ] || continue
		port=$(awk '$1 == "port" {print $2}' "$conf")
		redis-cli -p "$port" ping >/dev/null 2>&1 && continue
		(cd "$BENCH/config" && redis-server "$conf" --daemonize yes >/dev/null) || return 1
		for _ in $(seq 1 20); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.5; done
		echo "redis: started on $port ($conf)"
	done
}

site_sql() { # SITE QUERY, with the site's own database user
	local cfg="$BENCH/sites/$1/site_config.json" db pw
	db=$("$PY" -c "import json, sys; print(json.load(open(sys.argv[1])).get('db_name', ''))" "$cfg" 2>/dev/null)
	pw=$("$PY" -c "import json, sys; print(json.load(open(sys.argv[1])).get('db_password', ''))" "$cfg" 2>/dev/null)
	[ -n "$db" ] && mysql -h127.0.0.1 -u"$db" -p"$pw" -Nse "$2" "$db" 2>/dev/null
}

status() {
	local names=$1 name pid down=0 extra port
	echo "services of $BENCH"
	for name in $names; do
		extra=""
		case "$name" in
			web) extra="port $PORT $(web_ok && echo 'answers /api/method/frappe.ping' || echo 'NOT answering')" ;;
			socketio) extra="port $SOCKETIO_PORT $(socketio_ok && echo listening || echo 'NOT listening')" ;;
			schedule) extra="every $(conf scheduler_tick_interval 60)s" ;;
			worker-short) extra="queues short,default" ;;
			worker-long) extra="queues long,default,short" ;;
		esac
		if pid=$(pid_of "$name") || { [ "$name" = web ] && adopt_web && pid=$(pid_of web); }; then
			case "$name" in worker-*) rq_registered "$pid" && extra="$extra, registered in RQ" || extra="$extra, NOT registered in RQ" ;; esac
			case "$name" in worker-*) tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^CI=' &&
				extra="$extra, CI in its environment: Frappe runs its jobs as tests (restart it)" ;; esac
			printf '  %-13s pid %-7s alive  %s  (logs/%s.log)\n' "$name" "$pid" "$extra" "$name"
		else
			printf '  %-13s pid %-7s DOWN   %s\n' "$name" "-" "$extra"
			down=1
		fi
	done
	for port in $(redis_port redis_cache) $(redis_port redis_queue); do
		printf '  %-13s port %-6s %s\n' "redis" "$port" "$(redis-cli -p "$port" ping 2>/dev/null || echo DOWN)"
	done | uniq
	port=$(redis_port redis_queue)
	local bench_id
	bench_id=$(conf bench_id "$(echo "${BENCH#/}" | tr / -)")
	printf '  %-13s %s\n' "rq queues" "$(for q in short default long; do printf '%s:%s %s, ' "$bench_id" "$q" "$(redis-cli -p "$port" llen "rq:queue:$bench_id:$q" 2>/dev/null)"; done | sed 's/, $//') jobs waiting"
	local site state
	for site in $(cd "$BENCH/sites" && ls -d */ 2>/dev/null | tr -d / ); do
		[ -f "$BENCH/sites/$site/site_config.json" ] || continue
		state=$(site_sql "$site" "select value from tabSingles where doctype = 'System Settings' and field = 'enable_scheduler'")
		grep -q '"pause_scheduler": *1\|"maintenance_mode": *1' "$BENCH/sites/$site/site_config.json" && state="paused"
		case "$state" in 1) state="enabled" ;; paused) ;; *) state="disabled" ;; esac
		printf '  %-13s %s: scheduler %s\n' "site" "$site" "$state"
	done
	return $((down * 3))
}

# --- main ----------------------------------------------------------------------------------------
action=${1:-status}
shift || true
names="${*:-$ALL}"
for name in $names; do
	spec "$name" >/dev/null || {
		echo "unknown service $name (one of: $ALL)"
		exit 2
	}
done
rc=0
case "$action" in
	start)
		start_redis || rc=1
		for name in $names; do start_one "$name" || rc=1; done
		;;
	stop)
		# workers and scheduler first, so that no job is left half-way for lack of a web server
		for name in $(echo "$names" | tr ' ' '\n' | tac); do stop_one "$name" || rc=1; done
		;;
	restart)
		for name in $(echo "$names" | tr ' ' '\n' | tac); do stop_one "$name" || rc=1; done
		start_redis || rc=1
		for name in $names; do start_one "$name" || rc=1; done
		;;
	status)
		status "$names"
		rc=$?
		;;
	*)
		sed -n 2,24p "$0"
		exit 2
		;;
esac
exit $rc
