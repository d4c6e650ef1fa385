#!/bin/sh
# heartbeat-watcher: enrolls this server with the watcher and installs the sh agent, with curl and a
# POSIX sh alone (no Node.js). The watcher serves it, with its own URL and the agent inside:
#
#   curl -fsSL https://WATCHER/v1/install.sh | sudo sh -s -- --enroll-key hbwk_... --group production
#
# `sh -s -- --help` says the rest. Running it again is safe: it keeps the token and changes only what
# changed. Nothing secret is in this script: the enrollment key comes from its caller.
set -eu
umask 022

# The watcher that served this script writes its URL and its version here.
served_endpoint=''
watcher_version='dev'

usage() {
  cat <<'EOF'
usage: sh install.sh --enroll-key KEY --group GROUP [options]
       sh install.sh --uninstall [--prefix DIR]

Registers this server with the watcher (pending until an operator approves it, unless the group
approves on its own), keeps its token in etc/hbw/token (mode 600, owned by the system user hbw),
installs the sh agent as usr/local/bin/hbw-agent and starts it as a systemd service, or from cron
where there is no systemd.

  --enroll-key KEY          the group's enrollment key (hbwk_...); not needed once a token is kept
  --group GROUP             the group to join
  --endpoint URL            the watcher (default: the one that served this script)
  --failover URL            a failover endpoint; repeat for more, tried in order
  --id ID                   the agent id (default: this host's name)
  --cluster NAME            the cluster, sent with each heartbeat
  --failback-seconds N      on a failover, try the primary again this often (default 60)
  --goodbye-seconds N       at shutdown, say the server is back within N seconds (default 600)
  --service auto|systemd|cron  how the agent runs (default auto: systemd where it runs)
  --prefix DIR              install under DIR instead of /, with the same layout, for packaging and tests
                            (no system user; the agent, started, runs from there in the background)
  --no-start                install without starting anything
  --uninstall               stop the agent and remove everything this script installed
  --help                    this text
EOF
}

say() { printf 'hbw install: %s\n' "$*"; }
fail() {
  printf 'hbw install: %s\n' "$*" >&2
  exit 1
}
usage_error() {
  printf 'hbw install: %s (see --help)\n' "$*" >&2
  exit 2
}

# Whether `$2` matches the extended regular expression `$1` as a whole.
matches() { printf '%s\n' "$2" | grep -Eqx -e "$1"; }

name_ok() { matches "[A-Za-z0-9._:-]{1,$2}" "$1"; }
url_ok() { matches 'https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?' "$1"; }
whole_ok() { matches '[0-9]{1,6}' "$1" && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

enroll_key='' group='' endpoint='' failovers='' id='' cluster='' prefix='' service=auto
failback=60 goodbye=600 start=yes uninstall=no

while [ $# -gt 0 ]; do
  flag=$1
  case $flag in
  --help | -h)
    usage
    exit 0
    ;;
  --no-start) start=no ;;
  --uninstall) uninstall=yes ;;
  --enroll-key | --group | --endpoint | --failover | --id | --cluster | --failback-seconds | \
    --goodbye-seconds | --service | --prefix)
    [ $# -ge 2 ] || usage_error "$flag: needs a value"
    value=$2
    shift
    case $flag in
    --enroll-key)
      matches 'hbwk_[A-Za-z0-9_-]{43}' "$value" ||
        usage_error "--enroll-key: must be a group enrollment key (hbwk_ and 43 more characters), as hbw enroll-key prints it"
      enroll_key=$value
      ;;
    --group)
      name_ok "$value" 64 || usage_error "--group: must be 1 to 64 of A-Z a-z 0-9 . _ : -"
      group=$value
      ;;
    --endpoint | --failover)
      url_ok "$value" ||
        usage_error "$flag: must be an http or https URL such as https://hbw.example.com (host, port and path only)"
      value=${value%/}
      if [ "$flag" = --endpoint ]; then endpoint=$value; else failovers="$failovers $value"; fi
      ;;
    --id)
      name_ok "$value" 128 || usage_error "--id: must be 1 to 128 of A-Z a-z 0-9 . _ : -"
      id=$value
      ;;
    --cluster)
      name_ok "$value" 64 || usage_error "--cluster: must be 1 to 64 of A-Z a-z 0-9 . _ : -"
      cluster=$value
      ;;
    --failback-seconds)
      whole_ok "$value" 1 86400 || usage_error "--failback-seconds: must be a whole number of seconds, 1 to 86400"
      failback=$value
      ;;
    --goodbye-seconds)
      whole_ok "$value" 1 604800 ||
        usage_error "--goodbye-seconds: must be a whole number of seconds, 1 to 604800 (7 days)"
      goodbye=$value
      ;;
    --service)
      case $value in auto | systemd | cron) service=$value ;; *) usage_error "--service: must be auto, systemd or cron" ;; esac
      ;;
    --prefix)
      matches '/[A-Za-z0-9._/-]*' "$value" ||
        usage_error "--prefix: must be an absolute path of A-Z a-z 0-9 . _ / -"
      prefix=${value%/}
      ;;
    esac
    ;;
  *) usage_error "$flag: unknown option" ;;
  esac
  shift
done

root=no
[ "$(id -u)" -eq 0 ] && root=yes
[ -n "$prefix" ] || [ "$root" = yes ] || fail "installing into / (or removing from it) needs root: run it with sudo, or pass --prefix DIR"
# The system user and the system's own service manager, only for a real install as root.
system=no
[ -z "$prefix" ] && [ "$root" = yes ] && system=yes

user=hbw
etc=$prefix/etc/hbw
token_file=$etc/token
conf=$etc/agent.conf
agent=$prefix/usr/local/bin/hbw-agent
unit=$prefix/etc/systemd/system/hbw-agent.service
cron=$prefix/etc/cron.d/hbw-agent
state=$prefix/var/lib/hbw

# Stops the agent started in the background (as cron starts it), if it runs, and waits for it.
stop_background() {
  read -r pid 2>/dev/null <"$state/agent.pid" || return 0
  # A pid file outlives its process, and the number may be another's now.
  [ ! -r "/proc/$pid/cmdline" ] || grep -q hbw-agent "/proc/$pid/cmdline" || return 0
  kill "$pid" 2>/dev/null || return 0
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 15 ]; do
    sleep 1
    waited=$((waited + 1))
  done
}

# Stops the agent and removes every file this script installs (those present), then the directories
# it made under a prefix when they are left empty.
remove_all() {
  if [ "$system" = yes ] && [ -f "$unit" ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now hbw-agent >/dev/null 2>&1 || true
  fi
  stop_background
  rm -f "$unit" "$cron" "$agent" "$conf" "$token_file"
  rm -rf "$state"
  rmdir "$etc" 2>/dev/null || true
  if [ "$system" = yes ] && [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
  if [ -n "$prefix" ]; then
    # Deepest first, each one on its own: one that is missing does not keep its parent, and one
    # that holds anything else stays.
    for dir in usr/local/bin usr/local usr etc/systemd/system etc/systemd etc/cron.d etc var/lib var; do
      rmdir "$prefix/$dir" 2>/dev/null || true
    done
  fi
}

if [ "$uninstall" = yes ]; then
  [ -f "$conf" ] || [ -f "$token_file" ] || [ -f "$agent" ] || {
    say "nothing to uninstall under ${prefix:-/}"
    exit 0
  }
  installed_id='' created_user=''
  if [ -r "$conf" ]; then
    installed_id=$(sed -n "s/^HBW_ID='\(.*\)'$/\1/p" "$conf")
    created_user=$(sed -n "s/^HBW_CREATED_USER='\(.*\)'$/\1/p" "$conf")
  fi
  remove_all
  if [ "$system" = yes ] && [ -n "$created_user" ] && id "$created_user" >/dev/null 2>&1; then
    userdel "$created_user" 2>/dev/null || deluser "$created_user" 2>/dev/null || true
  fi
  say "removed the agent${installed_id:+ $installed_id} from ${prefix:-/}"
  [ -z "$installed_id" ] || say "the watcher still lists it: an operator removes it with hbw agents remove $installed_id"
  exit 0
fi

command -v curl >/dev/null 2>&1 || fail "curl is needed: install it (apt-get install curl, yum install curl, apk add curl)"
[ -n "$endpoint" ] || endpoint=$served_endpoint
[ -n "$endpoint" ] || usage_error "--endpoint: needed, since this copy of the script was not served by a watcher"
endpoints="$endpoint$failovers"

if [ "$service" = auto ]; then
  if [ -d /run/systemd/system ]; then service=systemd; else service=cron; fi
fi

# A token kept from an earlier run is kept: the agent stays who it was.
kept_id=''
if [ -s "$token_file" ] && [ -r "$conf" ]; then
  kept_id=$(sed -n "s/^HBW_ID='\(.*\)'$/\1/p" "$conf")
  [ -z "$id" ] || [ "$id" = "$kept_id" ] ||
    fail "--id: this server is installed as agent $kept_id; run --uninstall first to enroll it as $id"
  id=$kept_id
  [ -n "$cluster" ] || cluster=$(sed -n "s/^HBW_CLUSTER='\(.*\)'$/\1/p" "$conf")
fi
if [ -z "$id" ]; then
  id=$(uname -n)
  name_ok "$id" 128 || usage_error "--id: needed, since the host name $id is not a valid agent id (A-Z a-z 0-9 . _ : -)"
fi

nl='
'
token=''
approval=kept
if [ -z "$kept_id" ]; then
  [ -n "$enroll_key" ] || usage_error "--enroll-key: needed to enroll this server (hbw enroll-key GROUP makes one)"
  [ -n "$group" ] || usage_error "--group: needed to enroll this server (the group whose enrollment key it is)"
  body="{\"agentId\":\"$id\",\"group\":\"$group\"${cluster:+,\"cluster\":\"$cluster\"}}"
  # The key goes in a header read from stdin: never on curl's command line.
  rc=0
  answer=$(printf 'Authorization: Bearer %s\n' "$enroll_key" |
    curl -sS -m 30 -H @- -H 'Content-Type: application/json' --data-binary "$body" \
      -w "$nl%{http_code}" "$endpoint/v1/register" 2>&1) || rc=$?
  status=${answer##*"$nl"}
  answer=${answer%"$nl"*}
  message=${answer#*\"message\":\"}
  message=${message%%\"*}
  [ "$rc" -eq 0 ] || fail "--endpoint: cannot reach $endpoint (curl exit $rc: $answer): check the URL and that this host can reach it"
  case $status in
  201) ;;
  401) fail "--enroll-key: the watcher at $endpoint refused the enrollment key for group $group (401): it is wrong, or it was rotated since; ask an operator for the group's current key" ;;
  409) fail "--id: the watcher at $endpoint already has an agent $id (409): pass another --id, or an operator removes the old one (hbw agents remove $id)" ;;
  400) fail "the watcher at $endpoint refused the registration (400): $message" ;;
  *) fail "the watcher at $endpoint answered $status to the registration${message:+: $message}" ;;
  esac
  token=${answer#*\"token\":\"}
  token=${token%%\"*}
  matches 'hbw_[A-Za-z0-9_-]{43}' "$token" || fail "$endpoint answered the registration without a token: is it the watcher?"
  approval=${answer#*\"approval\":\"}
  approval=${approval%%\"*}
fi

# From here on a first install that fails takes back what it wrote.
installing=yes
undo() {
  [ "$installing" = yes ] || return 0
  remove_all
  printf 'hbw install: nothing was installed; the watcher registered agent %s, so an operator removes it (hbw agents remove %s) before this runs again\n' "$id" "$id" >&2
}
[ -n "$kept_id" ] || trap undo EXIT

created_user=''
# The unit's User= line and cron's user field: the system user, for a real install.
unit_user='# no User=: installed under --prefix, it runs as whoever starts it' cron_user=''
if [ "$system" = yes ]; then
  unit_user="User=$user"
  cron_user="$user "
  if ! id "$user" >/dev/null 2>&1; then
    if command -v useradd >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /var/lib/hbw --shell /usr/sbin/nologin "$user"
    else
      adduser -S -D -H -h /var/lib/hbw -s /sbin/nologin "$user"
    fi
    created_user=$user
  elif [ -r "$conf" ]; then
    created_user=$(sed -n "s/^HBW_CREATED_USER='\(.*\)'$/\1/p" "$conf")
  fi
fi

changed=''
# Writes stdin to `$1` with mode `$2` when it differs from what is there; notes what changed.
put() {
  mkdir -p "${1%/*}"
  cat >"$1.new"
  chmod "$2" "$1.new"
  if [ -f "$1" ] && cmp -s "$1.new" "$1"; then
    rm -f "$1.new"
  else
    mv -f "$1.new" "$1"
    changed="$changed ${1#"$prefix"}"
  fi
}

mkdir -p "$etc" "$state"
if [ -n "$token" ]; then
  umask 077
  put "$token_file" 600 <<EOF
$token
EOF
  umask 022
fi
put "$conf" 644 <<EOF
# heartbeat-watcher agent settings, written by install.sh: run it again to change them.
HBW_ID='$id'
HBW_ENDPOINTS='$endpoints'
HBW_CLUSTER='$cluster'
HBW_VERSION='sh-$watcher_version'
HBW_FAILBACK_SECONDS='$failback'
HBW_GOODBYE_SECONDS='$goodbye'
HBW_CREATED_USER='$created_user'
EOF

agent_script() {
  cat <<'HBW_AGENT'
#@agent@
HBW_AGENT
}
agent_script | sed -n '1p' | grep -q '^#!' || fail "this copy of the script has no agent inside: fetch it from the watcher (GET /v1/install.sh)"
# The agent, told after its first line where it was installed.
put "$agent" 755 <<EOF
$(agent_script | sed -n '1p')
HBW_PREFIX='$prefix'
$(agent_script | sed '1d')
EOF

if [ "$service" = systemd ]; then
  [ ! -f "$cron" ] || {
    rm -f "$cron"
    changed="$changed ${cron#"$prefix"}"
  }
  put "$unit" 644 <<EOF
# heartbeat-watcher's sh agent, installed by install.sh
[Unit]
Description=heartbeat-watcher agent (sh)
Wants=network-online.target
# Stopped before the network and D-Bus at shutdown, so that its goodbye gets out and it can ask
# systemctl whether the system is stopping.
After=network-online.target dbus.service

[Service]
ExecStart=$agent
$unit_user
Restart=always
RestartSec=10
TimeoutStopSec=20
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=$state
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
EOF
else
  [ ! -f "$unit" ] || {
    rm -f "$unit"
    changed="$changed ${unit#"$prefix"}"
  }
  put "$cron" 644 <<EOF
# heartbeat-watcher's sh agent, installed by install.sh: started at boot, and again should it stop
@reboot $cron_user$agent --cron
* * * * * $cron_user$agent --cron
EOF
fi

if [ "$system" = yes ]; then
  chown "$user:$user" "$token_file" "$state"
  [ ! -f "$state/seq" ] || chown "$user:$user" "$state"/*
fi

started=''
if [ "$start" = yes ]; then
  if [ "$system" = yes ] && [ "$service" = systemd ]; then
    systemctl daemon-reload
    systemctl enable hbw-agent >/dev/null 2>&1
    if [ -n "$changed" ]; then systemctl restart hbw-agent; else systemctl start hbw-agent; fi
    started='started (systemctl status hbw-agent; journalctl -u hbw-agent)'
  else
    # As cron would: in the background, unless it runs already; changed settings restart it.
    [ -z "$changed" ] || stop_background
    if [ "$system" = yes ]; then
      su -s /bin/sh -c "$agent --cron" "$user"
    else
      "$agent" --cron
    fi
    started="started in the background (its log: $state/agent.log)"
  fi
fi
installing=no

if [ -z "$changed" ]; then
  say "agent $id is installed as it should be: nothing changed"
else
  say "installed agent $id under ${prefix:-/} (changed:$changed), heartbeats to $endpoints"
fi
[ -z "$token" ] || say "token kept in $token_file (mode 600)"
[ "$approval" != pending ] || say "agent $id is pending: an operator approves it with hbw agents approve $id"
[ -z "$started" ] || say "the agent $started"
[ "$start" = yes ] || say "not started (--no-start): $agent runs it"
