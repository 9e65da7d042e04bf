#!/bin/bash
# baresip-peer.sh - drive baresip 1.0.0 (Debian 12 package baresip-core) headlessly as a SIP/SIMPLE peer.
# Copy of /work/shared/peers/baresip-peer.sh; one change: the FIFO holder does not inherit the
# caller's stderr (Node's spawn waits for every holder of its pipes before "close").
#
#   baresip-peer.sh start DIR USER HOST PORT udp|tcp|tls LOCALPORT [PASSWORD] [BUDDY ...]
#        HOST is the server address: 127.0.0.1 or ::1 (loopback only). BUDDY = user name or sip: URI.
#        tls: put the CA baresip must trust (the server's certificate) in DIR/ca.pem first.
#        baresip binds UDP+TCP on LOCALPORT and TLS on LOCALPORT+1: space peers' LOCALPORTs by 2.
#        Writes DIR/cfg/{config,accounts,contacts}, starts baresip with stdin on a FIFO, SIP trace (-s)
#        to DIR/baresip.log, waits (<=10 s) for "registered successfully"; exit 1 if not.
#   baresip-peer.sh cmd DIR "/command args"     write one command line to baresip's stdin
#   baresip-peer.sh msg DIR BUDDY "text"        select BUDDY as current contact and send MESSAGE
#   baresip-peer.sh wait DIR REGEX [SECS]       wait until the log matches REGEX (grep -E), exit 1 on timeout
#   baresip-peer.sh status DIR BUDDY            print BUDDY's presence (Online|Offline|Unknown|...) via /contacts
#   baresip-peer.sh stop DIR                    /quit (un-REGISTER, un-SUBSCRIBE, un-PUBLISH), then
#                                               kill only this peer's own pids if still alive
set -u
act=${1:?action}; D=$(realpath -m -- "${2:?dir}"); shift 2

log() { cat "$D/baresip.log" 2>/dev/null; }
waitfor() { # REGEX SECS
  local i n=$(( ${2:-10} * 10 ))
  for ((i = 0; i < n; i++)); do grep -qE -- "$1" "$D/baresip.log" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
cmd() { printf '%s\n' "$1" > "$D/stdin.fifo"; }

case $act in
start)
  USER=$1; HOST=$2; PORT=$3; TR=$4; LPORT=$5; PASS=${6:-}; shift 5; [ $# -gt 0 ] && shift
  case $HOST in 127.*|localhost) LHOST=127.0.0.1; SH=$HOST; FAM=-4;;
                ::1|\[::1\]) LHOST='[::1]'; SH='[::1]'; FAM=-6;;
                # the tests' private network namespaces (test/interop/lib/netns.ts), from inside one:
                10.200.*) [ -n "${BARESIP_LOCAL_IP:-}" ] || { echo "10.200.x only inside a lab namespace, with BARESIP_LOCAL_IP" >&2; exit 2; }
                          LHOST=$BARESIP_LOCAL_IP; SH=$HOST; FAM=-4;;
                *) echo "loopback only (127.x or ::1)" >&2; exit 2;; esac
  mkdir -p "$D/cfg"
  cat > "$D/cfg/config" <<EOF
poll_method		epoll
sip_listen		$LHOST:$LPORT
call_max_calls		4
module_path		/usr/lib/baresip/modules
module			stdio.so
module			g711.so
module_tmp		uuid.so
module_tmp		account.so
module_app		contact.so
module_app		menu.so
module_app		presence.so
EOF
  # TLS (RFC 3261 26.3.1): baresip verifies the server against the CA file it is given.
  [ -f "$D/ca.pem" ] && printf 'sip_cafile\t\t%s\n' "$D/ca.pem" >> "$D/cfg/config"
  # outbound= makes every request (PUBLISH, MESSAGE, SUBSCRIBE) go to the server over $TR; without it
  # only REGISTER honours ;transport=tcp and PUBLISH/MESSAGE go out over UDP.
  ACC="<sip:$USER@$SH:$PORT;transport=$TR>;regint=300;pubint=300;answermode=manual;outbound=\"sip:$SH:$PORT;transport=$TR\""
  [ -n "$PASS" ] && ACC="$ACC;auth_pass=$PASS"
  echo "$ACC" > "$D/cfg/accounts"
  : > "$D/cfg/contacts"
  for b in "$@"; do
    case $b in sip:*) u=$b;; *) u="sip:$b@$SH:$PORT";; esac
    echo "\"${b#sip:}\" <$u;transport=$TR>;presence=p2p" >> "$D/cfg/contacts"
  done
  rm -f "$D/stdin.fifo"; mkfifo "$D/stdin.fifo"
  # keep a writer open on the FIFO so baresip never sees EOF on stdin
  # (both started from a subshell so they are re-parented to init and reaped when they exit)
  # (the holder's stderr goes to the log too: an inherited stderr pipe would keep the caller's
  # spawn from ever seeing this script's output end)
  ( sleep 100000 > "$D/stdin.fifo" 2>> "$D/holder.err" < /dev/null & echo $! > "$D/holder.pid" )
  ( HOME="$D" exec baresip $FAM -s -f "$D/cfg" < "$D/stdin.fifo" > "$D/baresip.log" 2>&1 & echo $! > "$D/baresip.pid" )
  if waitfor 'registered successfully|useragent.* registered' 10; then
    echo "baresip $USER registered (pid $(cat "$D/baresip.pid"))"
  else
    echo "baresip $USER NOT registered; see $D/baresip.log" >&2; exit 1
  fi
  ;;
cmd) cmd "$1" ;;
msg)
  B=$1; TXT=$2; case $B in sip:*) PAT="<$B";; *) PAT="<sip:$B@";; esac
  # baresip 1.0.0 /message goes to the "current contact"; /contact_prev and /contact_next move it
  # (no wrap-around). Walk to the head, then forward, until "Current contact:" shows BUDDY.
  step() { local n; n=$(grep -c 'Current contact:' "$D/baresip.log"); cmd "/$1"
           for j in $(seq 1 40); do [ "$(grep -c 'Current contact:' "$D/baresip.log")" -gt "$n" ] && break; sleep 0.05; done
           grep 'Current contact:' "$D/baresip.log" | tail -1 | grep -qF -- "$PAT"; }
  N=$(grep -c . "$D/cfg/contacts"); ok=1
  for ((i = 0; i < N && ok; i++)); do step contact_prev && ok=0; done
  for ((i = 0; i < N && ok; i++)); do step contact_next && ok=0; done
  [ $ok = 0 ] || { echo "contact $B not found" >&2; exit 1; }
  cmd "/message $TXT"
  ;;
wait) waitfor "$1" "${2:-10}" ;;
status)
  # print BUDDY's presence as baresip sees it (Online/Offline/Busy/Unknown...) from a fresh /contacts listing
  B=$1; case $B in sip:*) PAT="<$B";; *) PAT="<sip:$B@";; esac
  n=$(grep -c -- '--- Contacts' "$D/baresip.log"); cmd "/contacts"
  for j in $(seq 1 40); do [ "$(grep -c -- '--- Contacts' "$D/baresip.log")" -gt "$n" ] && break; sleep 0.05; done
  sleep 0.1
  # the listing is "--- Contacts (N) ---" followed by one line per contact, ended by an empty line
  sed 's/\x1b\[[0-9;]*m//g' "$D/baresip.log" |
    awk '/--- Contacts/{buf=""; f=1; next} f && /^[[:space:]]*$/{f=0} f{buf=buf $0 "\n"} END{printf "%s", buf}' |
    grep -F -- "$PAT" | tail -1 | awk '{print ($1==">" ? $2 : $1)}'
  ;;
stop)
  P=$(cat "$D/baresip.pid" 2>/dev/null)
  if [ -n "$P" ] && kill -0 "$P" 2>/dev/null; then
    cmd "/quit"
    for i in $(seq 1 50); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$P" 2>/dev/null && { kill -TERM "$P"; sleep 1; kill -0 "$P" 2>/dev/null && kill -KILL "$P"; }
  fi
  H=$(cat "$D/holder.pid" 2>/dev/null); [ -n "$H" ] && kill "$H" 2>/dev/null
  rm -f "$D/baresip.pid" "$D/holder.pid" "$D/stdin.fifo"
  ;;
*) echo "unknown action $act" >&2; exit 2 ;;
esac
