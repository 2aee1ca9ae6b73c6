#!/usr/bin/env bash
# cli_test.sh SSRFGUARD — `ssrfguard aws` end to end (under with_emulator.py):
# output, exit codes, and no secret on the terminal even with --verbose.
set -uo pipefail
sg=$1
fails=0
t() { # label expected-status command...
  local label=$1 want=$2; shift 2
  "$@" >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err"; local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $label: exit $got, want $want"; cat "$TEST_TMPDIR/err"; fails=$((fails+1))
  else echo "ok   $label"; fi
}
has() { # label file pattern
  if grep -q -- "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1: no '$3' in $2"; cat "$2"; fails=$((fails+1)); fi
}
hasnt() {
  if grep -q -- "$3" "$2"; then echo "FAIL $1: '$3' in $2"; fails=$((fails+1)); else echo "ok   $1"; fi
}

t "help" 0 "$sg" aws --help
has "help names whoami" "$TEST_TMPDIR/out" "whoami"
t "usage error" 2 "$sg" aws frobnicate
t "missing instance id" 2 "$sg" aws instance
t "whoami" 0 "$sg" aws whoami -v
has "whoami arn" "$TEST_TMPDIR/out" "arn:aws:iam::123456789012:user/ssrfguard-responder"
has "whoami says where the credentials came from" "$TEST_TMPDIR/out" "credentials  env (AWS_ACCESS_KEY_ID)"
has "whoami says keys never expire" "$TEST_TMPDIR/out" "expires      never"
hasnt "verbose log has no secret" "$TEST_TMPDIR/err" "$AWS_SECRET_ACCESS_KEY"
t "whoami --json" 0 "$sg" aws whoami --json
if /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["arn"].endswith(":user/ssrfguard-responder") and d["account"]=="123456789012" and d["region"] and d["credentials"].startswith("env") and d["expires"]=="never"' "$TEST_TMPDIR/out"
then echo "ok   whoami --json is one JSON object"; else echo "FAIL whoami --json"; cat "$TEST_TMPDIR/out"; fails=$((fails+1)); fi
t "instance" 0 "$sg" aws instance i-0a1b2c3d4e5f60001
has "instance shows ENIs" "$TEST_TMPDIR/out" "eni-0a000000000000002"
has "instance shows ASG" "$TEST_TMPDIR/out" "web-asg"
t "unknown instance" 1 "$sg" aws instance i-0000000000000dead
has "not-found message" "$TEST_TMPDIR/err" "InvalidInstanceID.NotFound"
secret="wrong-$AWS_SECRET_ACCESS_KEY"
t "wrong secret" 2 env AWS_SECRET_ACCESS_KEY="$secret" "$sg" aws whoami -v
has "signature refused" "$TEST_TMPDIR/err" "SignatureDoesNotMatch"
hasnt "no secret in the error" "$TEST_TMPDIR/err" "$secret"
hasnt "no secret on stdout" "$TEST_TMPDIR/out" "$secret"
t "session token stays secret" 2 env AWS_SESSION_TOKEN=TOKENSHOULDNOTLEAK "$sg" aws whoami -v
hasnt "no token in the error" "$TEST_TMPDIR/err" "TOKENSHOULDNOTLEAK"
t "no region" 2 env -u AWS_REGION AWS_CONFIG_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true "$sg" aws whoami
has "region message" "$TEST_TMPDIR/err" "no region"
t "no credentials" 2 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true "$sg" aws whoami
has "credentials message" "$TEST_TMPDIR/err" "no credentials"
echo "cli: $fails failed"
[ "$fails" = 0 ]
