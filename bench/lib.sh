# shellcheck shell=bash
# lib.sh - shared by the benchmarks (bench/run, bench/milter): waiting for a quiet machine and
# measuring how busy it was. Sourced, never run by itself.
#
# Settings from the environment: BENCH_BUSY (0.15), the share of the machine's CPU other processes
# may use for the machine to count as quiet; BENCH_WAIT (90), the seconds a whole run may spend
# waiting for quiet moments. Sets hz, ncpu, busy_limit and wait_left (what is left of BENCH_WAIT).

busy_limit=${BENCH_BUSY:-0.15}
wait_left=${BENCH_WAIT:-90}
hz=$(getconf CLK_TCK)
ncpu=$(nproc)

# CPU time used by the whole machine so far, in clock ticks (user, nice, system, irq, softirq, steal)
machine_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# Wait until the machine has been quiet for half a second (other processes under BENCH_BUSY of
# the CPU), drawing on a budget of BENCH_WAIT (90) seconds for the whole run; once it is spent, go on anyway.
quiet_wait() {
	local k0 k1 t0
	while [ "$wait_left" -gt 0 ]; do
		t0=$(date +%s)
		k0=$(machine_ticks)
		sleep 0.5
		k1=$(machine_ticks)
		awk -v d="$((k1 - k0))" -v hz="$hz" -v n="$ncpu" -v l="$busy_limit" \
			'BEGIN { exit !(d / hz / n / 0.5 <= l) }' && return 0
		sleep 2
		wait_left=$((wait_left - ($(date +%s) - t0)))
		[ "$wait_left" -gt 0 ] || echo "bench: warning: the machine stays busy; timing anyway" >&2
	done
}

# Seconds spent in quiet_wait so far.
quiet_waited() {
	echo $((${BENCH_WAIT:-90} - wait_left))
}

# Timings are only meaningful on an idle machine: say how busy it is. Prints the load average.
load_check() {
	local load
	load=$(cut -d' ' -f1 /proc/loadavg)
	awk -v l="$load" 'BEGIN { exit !(l > 0.5) }' &&
		echo "bench: warning: load average $load before starting; other processes will slow the timings" >&2
	echo "$load"
}
