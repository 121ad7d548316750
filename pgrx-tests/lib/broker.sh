# A throwaway Kafka-protocol broker (tansu 0.6.0, installed by .ci/setup) for the relay's tests.
# Source this file. The broker listens on 127.0.0.1:$BROKER_PORT (default 9092), logs to
# $CEDAR_RUN/broker-$BROKER_PORT.log and keeps its pid in $CEDAR_RUN/broker-$BROKER_PORT.pid.
#
# Storage: BROKER_STORAGE, default memory://tansu/, which loses every record when the broker
# dies (tansu's postgres:// engine needs a schema the crate does not ship).

TANSU=${TANSU:-/var/cache/cedar_cdc/tansu/bin/tansu}
BROKER_PORT=${BROKER_PORT:-9092}
BROKER_STORAGE=${BROKER_STORAGE:-memory://tansu/}
BROKER_RUN=${CEDAR_RUN:-/tmp/cedar_cdc}

broker_pidfile() { echo "$BROKER_RUN/broker-$BROKER_PORT.pid"; }

# broker_start: starts tansu and waits until it accepts connections (at most 30 s).
broker_start() {
  [ -x "$TANSU" ] || { echo "broker.sh: no tansu at $TANSU (run .ci/setup)" >&2; return 1; }
  broker_stop
  mkdir -p "$BROKER_RUN"
  local log="$BROKER_RUN/broker-$BROKER_PORT.log"
  "$TANSU" broker --listener-url "tcp://127.0.0.1:$BROKER_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$BROKER_PORT" \
    --storage-engine "$BROKER_STORAGE" >>"$log" 2>&1 </dev/null &
  echo $! >"$(broker_pidfile)"
  local i
  for i in $(seq 300); do
    if ! kill -0 "$(cat "$(broker_pidfile)")" 2>/dev/null; then
      echo "broker.sh: tansu exited at start; tail of $log:" >&2
      tail -20 "$log" >&2
      return 1
    fi
    # tansu prints "ready in" once it listens; the bash TCP probe confirms it.
    if grep -q "ready in" "$log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "broker.sh: tansu not ready on 127.0.0.1:$BROKER_PORT after 30 s" >&2
  return 1
}

# broker_stop: SIGTERM, then waits for the process to end (SIGKILL after 10 s).
broker_stop() {
  local pidfile pid i
  pidfile=$(broker_pidfile)
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# broker_kill: kill -9, no shutdown at all.
broker_kill() {
  local pidfile pid
  pidfile=$(broker_pidfile)
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$pidfile"
}

# broker_pid: the running broker's pid (empty when none).
broker_pid() {
  local pidfile
  pidfile=$(broker_pidfile)
  [ -f "$pidfile" ] && cat "$pidfile"
}
