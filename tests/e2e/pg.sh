# shellcheck shell=bash
# pg.sh - a private PostgreSQL server for tests. Sourced, never run by itself.
#
#   pg_start DIR   initdb a new cluster in DIR/pg (as user postgres, through runuser) and start it on
#                  127.0.0.1 at a random free port, its socket in DIR/pg/sock. Makes role "faxgate"
#                  (password auth over TCP) owning database "faxgate", and exports:
#                    FAXGATE_TEST_PG   libpq conninfo for that database as that role
#                    PG_PORT PG_HOST   port and address; PG_SOCK the socket folder
#                    PG_PASSWORD       the role's password (random)
#                    PG_PID            the postmaster's PID
#                    PG_BIN            the server's programs (psql, pg_ctl...)
#                  Returns non-zero, after printing the server's log, when anything fails.
#   pg_psql ARGS   psql as superuser postgres over the socket (e.g. pg_psql -d faxgate -c 'SQL')
#   pg_stop        stop the server by PID (fast shutdown, SIGKILL after 15 s); safe to call twice.
#   pg_restart DIR start the cluster pg_start made in DIR again, on the same port (after pg_stop).
#
# Call pg_stop from the caller's EXIT trap. DIR's parent folders must be traversable by postgres;
# pg_start makes DIR itself traversable (mode 0711). PG_BIN may be set to choose the server version.

pg_start() {
	local dir=$1 data
	PG_BIN=${PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
	[ -x "$PG_BIN/initdb" ] || { echo "pg_start: no PostgreSQL server programs found" >&2; return 1; }
	id postgres >/dev/null 2>&1 || { echo "pg_start: no user postgres" >&2; return 1; }
	chmod 0711 "$dir"
	mkdir -p "$dir/pg/sock"
	chown -R postgres: "$dir/pg"
	data=$dir/pg/data
	PG_HOST=127.0.0.1
	PG_SOCK=$dir/pg/sock
	PG_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	# a port nobody listens on now; a race with another program is possible but rare
	PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	(cd / && runuser -u postgres -- "$PG_BIN/initdb" --no-sync -D "$data" -U postgres -E UTF8 --locale=C \
		--auth-local=trust --auth-host=scram-sha-256 >"$dir/pg/initdb.log" 2>&1) || {
		cat "$dir/pg/initdb.log" >&2
		return 1
	}
	(cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -l "$dir/pg/server.log" -w -t 30 \
		-o "-c listen_addresses=$PG_HOST -p $PG_PORT -c unix_socket_directories=$PG_SOCK -c fsync=off" \
		start >/dev/null) || {
		cat "$dir/pg/server.log" >&2
		return 1
	}
	PG_PID=$(head -n 1 "$data/postmaster.pid")
	pg_psql -q -v ON_ERROR_STOP=1 -v pw="$PG_PASSWORD" >/dev/null <<-'EOF' || { pg_stop; return 1; }
		CREATE ROLE faxgate LOGIN PASSWORD :'pw';
		CREATE DATABASE faxgate OWNER faxgate ENCODING 'UTF8' TEMPLATE template0;
	EOF
	FAXGATE_TEST_PG="host=$PG_HOST port=$PG_PORT dbname=faxgate user=faxgate password=$PG_PASSWORD"
	export FAXGATE_TEST_PG PG_HOST PG_PORT PG_SOCK PG_PASSWORD PG_PID PG_BIN
}

pg_psql() {
	(cd / && runuser -u postgres -- "$PG_BIN/psql" -X -h "$PG_SOCK" -p "$PG_PORT" -U postgres "$@")
}

pg_stop() {
	local i
	[ -n "${PG_PID:-}" ] || return 0
	kill -INT "$PG_PID" 2>/dev/null
	for ((i = 0; i < 150; i++)); do
		# a process that ended may linger as a zombie for a moment: read its state, not kill -0
		grep -qs '^State:[[:space:]]*[^Z]' "/proc/$PG_PID/status" || break
		sleep 0.1
	done
	[ "$i" -lt 150 ] || kill -KILL "$PG_PID" 2>/dev/null
	PG_PID=
}

pg_restart() {
	local dir=$1
	(cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 30 \
		-o "-c listen_addresses=$PG_HOST -p $PG_PORT -c unix_socket_directories=$PG_SOCK -c fsync=off" \
		start >/dev/null) || {
		cat "$dir/pg/server.log" >&2
		return 1
	}
	PG_PID=$(head -n 1 "$dir/pg/data/postmaster.pid")
	export PG_PID
}
