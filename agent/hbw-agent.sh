#!/bin/sh
# heartbeat-watcher's sh agent: one heartbeat with curl every interval the watcher answers, failing
# over and back across the endpoints of its settings. install.sh installs it (as bin/hbw-agent) and
# writes, after the first line, where it was installed; every file it reads or writes is under there.
#
#   hbw-agent          runs in the foreground (systemd's ExecStart)
#   hbw-agent --cron   starts it in the background unless it runs already (the cron fallback)
#
# Settings come from etc/hbw/agent.conf (install.sh writes it), the token from etc/hbw/token (read
# again before every heartbeat, so a rotated token is used without a restart). Two variables serve
# tests: HBW_BOOT_ID_FILE (where the boot id is read; /proc/sys/kernel/random/boot_id) and
# HBW_SYSTEMCTL (the systemctl asked whether the system is shutting down).
set -u
set -f

HBW_PREFIX=${HBW_PREFIX:-}
conf=$HBW_PREFIX/etc/hbw/agent.conf
token_file=$HBW_PREFIX/etc/hbw/token
state_dir=$HBW_PREFIX/var/lib/hbw
boot_id_file=${HBW_BOOT_ID_FILE:-/proc/sys/kernel/random/boot_id}
systemctl=${HBW_SYSTEMCTL:-systemctl}
nl='
'

log() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
die() {
  log "ERROR $*"
  exit 1
}

[ -r "$conf" ] || die "HBW2096 cannot read the settings $conf: run the installer again"
# shellcheck source=/dev/null
. "$conf"
: "${HBW_ID:?}" "${HBW_ENDPOINTS:?}" "${HBW_VERSION:=sh}" "${HBW_CLUSTER:=}"
: "${HBW_INTERVAL_SECONDS:=30}" "${HBW_FAILURES_BEFORE_FAILOVER:=3}" "${HBW_FAILBACK_SECONDS:=60}"
: "${HBW_TIMEOUT_SECONDS:=10}" "${HBW_GOODBYE_SECONDS:=600}"

if [ "${1:-}" = --cron ]; then
  # Cron calls this every minute: start the agent unless the one started before still runs.
  if read -r pid 2>/dev/null <"$state_dir/agent.pid" && kill -0 "$pid" 2>/dev/null; then
    # A pid file outlives its process, and the number may be another's now.
    [ -r "/proc/$pid/cmdline" ] && ! grep -q hbw-agent "/proc/$pid/cmdline" || exit 0
  fi
  nohup "$0" >"$state_dir/agent.log" 2>&1 &
  exit 0
elif [ $# -gt 0 ]; then
  echo "usage: hbw-agent [--cron]" >&2
  exit 2
fi

# The boot: the kernel's boot id where there is one, else a random id for this start of the agent.
if ! read -r boot 2>/dev/null <"$boot_id_file" || [ -z "$boot" ]; then
  boot=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
fi
# When the host started (its kernel's btime), so that the watcher can tell how long a restart took.
booted_at=''
while read -r key value; do
  if [ "$key" = btime ]; then
    booted_at=$(date -u -d "@$value" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null) || booted_at=''
    break
  fi
done 2>/dev/null </proc/stat
# seq grows through the agent's restarts within one boot, and starts over with a new boot.
seq=0
if read -r last_boot 2>/dev/null <"$state_dir/boot_id" && [ "$last_boot" = "$boot" ]; then
  read -r seq 2>/dev/null <"$state_dir/seq" || seq=0
  case $seq in '' | *[!0-9]*) seq=0 ;; esac
else
  printf '%s\n' "$boot" >"$state_dir/boot_id" || die "HBW2096 cannot write $state_dir/boot_id"
fi
echo $$ >"$state_dir/agent.pid"

count=0
for endpoint in $HBW_ENDPOINTS; do count=$((count + 1)); done
endpoint_at() {
  i=0
  for endpoint in $HBW_ENDPOINTS; do
    [ "$i" -eq "$1" ] && return
    i=$((i + 1))
  done
}

interval=$HBW_INTERVAL_SECONDS
active=0
failures=0
last_failback=0
said=''
now=0
sent_at=''
# A small random spread of each wait (up to 10% either way: HEARTBEAT_SPREAD, lambda/domain/agent.ts),
# from a seed read once.
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')

# Logs `$2...` when what the agent reports (`$1`) differs from what it said last.
say() {
  [ "$1" = "$said" ] && return
  said=$1
  shift
  log "$@"
}

# The time now, in seconds (`now`) and as sentAt (`sent_at`): one date a heartbeat.
clock() {
  # shellcheck disable=SC2046 # date prints two words
  set -- $(date -u '+%s %Y-%m-%dT%H:%M:%SZ')
  now=$1
  sent_at=$2
}

# One heartbeat to endpoint number $1, with `$2` added to its body; sets `outcome` to accepted,
# refused, connect (no conversation was possible) or failed, and `detail` to what happened.
send() {
  endpoint_at "$1"
  seq=$((seq + 1))
  printf '%s\n' "$seq" >"$state_dir/seq.new" && mv -f "$state_dir/seq.new" "$state_dir/seq"
  body="{\"agentId\":\"$HBW_ID\",\"seq\":$seq,\"bootId\":\"$boot\",\"sentAt\":\"$sent_at\",\"endpoint\":\"$endpoint\",\"version\":\"$HBW_VERSION\"${booted_at:+,\"bootedAt\":\"$booted_at\"}${HBW_CLUSTER:+,\"cluster\":\"$HBW_CLUSTER\"}$2}"
  token=''
  read -r token <"$token_file" || true
  # The token goes in a header read from stdin: never on a command line that ps shows.
  answer=$(printf 'Authorization: Bearer %s\n' "$token" |
    curl -s -m "$HBW_TIMEOUT_SECONDS" -H @- -H 'Content-Type: application/json' \
      --data-binary "$body" -w "$nl%{http_code}" "$endpoint/v1/heartbeat")
  rc=$?
  status=${answer##*"$nl"}
  answer=${answer%"$nl"*}
  case $rc:$status in
  0:200 | 0:202)
    case $answer in
    *'"state":"'*)
      outcome=accepted
      state=${answer#*\"state\":\"}
      state=${state%%\"*}
      told=${answer#*\"heartbeatIntervalSeconds\":}
      told=${told%%[!0-9]*}
      if [ -n "$told" ] && [ "$told" -ge 1 ] && [ "$told" -le 86400 ] && [ "$told" != "$interval" ]; then
        log "INFO  HBW2002 the watcher set the heartbeat interval to $told s (was $interval s)"
        interval=$told
      fi
      detail="state $state"
      ;;
    *)
      outcome=failed
      detail="answered $status without the watcher's JSON (is this the watcher's URL?)"
      ;;
    esac
    ;;
  0:401 | 0:403)
    outcome=refused
    detail="refused agent $HBW_ID ($status)"
    ;;
  0:*)
    outcome=failed
    detail="answered $status"
    ;;
  6:* | 7:* | 35:* | 51:* | 58:* | 60:* | 77:*)
    outcome=connect
    detail="could not connect (curl exit $rc)"
    ;;
  *)
    outcome=failed
    detail="failed (curl exit $rc)"
    ;;
  esac
}

# The heartbeats due now, as the reference agent sends them (hbw agent run).
beat() {
  if [ "$active" -ne 0 ] && [ $((now - last_failback)) -ge "$HBW_FAILBACK_SECONDS" ]; then
    last_failback=$now
    send 0 ''
    if [ "$outcome" = accepted ]; then
      endpoint_at "$active"
      from=$endpoint
      endpoint_at 0
      log "INFO  HBW2019 resumed communication with the primary $endpoint (was on $from)"
      said="0:$detail"
      active=0
      failures=0
      return
    fi
  fi
  while :; do
    send "$active" ''
    case $outcome in
    accepted)
      failures=0
      case $detail in
      'state pending') say "$active:pending" "WARN  HBW2070 connected to $endpoint, but agent $HBW_ID is not approved yet (pending): an operator runs hbw agents approve $HBW_ID" ;;
      *) say "$active:$detail" "INFO  HBW2001 connected to $endpoint: heartbeats accepted ($detail), one every $interval s" ;;
      esac
      return
      ;;
    refused)
      if [ "$active" -eq 0 ]; then
        say "0:$detail" "ERROR HBW2071 connected to $endpoint, but it $detail: an operator runs hbw agents rotate-token $HBW_ID (or approve), and the new token goes in $token_file"
        return
      fi
      log "WARN  HBW2018 connected to $endpoint, but it $detail: it is not the watcher that issued the token"
      ;;
    *)
      failures=$((failures + 1))
      say "$active:$detail" "ERROR HBW2006 $endpoint $detail"
      if [ "$outcome" != connect ] || [ $((active + 1)) -ge "$count" ]; then
        [ "$failures" -lt "$HBW_FAILURES_BEFORE_FAILOVER" ] && return
      fi
      ;;
    esac
    from=$endpoint
    failures=0
    if [ $((active + 1)) -ge "$count" ]; then
      say "none" "ERROR HBW2016 could not set up communication with $HBW_ENDPOINTS; communication resumes when one answers"
      active=0
      return
    fi
    active=$((active + 1))
    last_failback=$now
    endpoint_at "$active"
    log "WARN  HBW2015 failed over from $from to $endpoint; the primary is tried again every $HBW_FAILBACK_SECONDS s"
  done
}

sleeper=''
stop() {
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  # A stop while the system shuts down is a planned restart: say goodbye, so nobody is paged.
  if [ "$("$systemctl" is-system-running 2>/dev/null)" = stopping ]; then
    clock
    send "$active" ",\"goodbye\":{\"backInSeconds\":$HBW_GOODBYE_SECONDS,\"reason\":\"shutdown\"}"
    log "INFO  HBW2093 said goodbye to $endpoint: back within $HBW_GOODBYE_SECONDS s ($detail)"
  fi
  log "INFO  HBW2090 stopped after heartbeat $seq"
  rm -f "$state_dir/agent.pid"
  exit 0
}
trap stop TERM INT

log "INFO  HBW2000 agent $HBW_ID started (sh, boot $boot, seq $seq): heartbeats go to $HBW_ENDPOINTS"
while :; do
  clock
  beat
  seed=$(((seed * 1103515245 + 12345) % 2147483648))
  spread=$((interval / 10))
  wait_for=$((interval - spread + seed % (2 * spread + 1)))
  # sleep in the background and wait for it, so that a stop is handled at once.
  sleep "$wait_for" &
  sleeper=$!
  wait "$sleeper"
  sleeper=''
done
