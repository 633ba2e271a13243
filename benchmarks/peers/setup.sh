#!/usr/bin/env bash
# Create one virtual environment per peer library for benchmarks/compare.py.
#
#   bash benchmarks/peers/setup.sh                 # all peers
#   bash benchmarks/peers/setup.sh pyx12 x12sdk    # only these
#
# Venvs go to $SDOHEDI_PEERS_DIR (default /tmp/sdohedi-peers), one folder per peer, each with
# its own python, so that a peer's pins (linuxforhealth-x12 needs pydantic 1) never meet
# sdohedi's or another peer's. Each install's outcome is written to <venv>/install.log and a
# one-line status to <venv>/STATUS ("ok <version>" or "failed: <last error line>"), which
# compare.py reports in its table. Re-running skips peers whose STATUS is ok.
set -u
PEERS_DIR="${SDOHEDI_PEERS_DIR:-/tmp/sdohedi-peers}"
PYTHON="${PEER_PYTHON:-python3}"

# name -> pip requirements (pinned: the figures in MEASUREMENTS.md are for these versions).
# linuxforhealth-x12 declares pydantic>=1.9 but imports pydantic 1 APIs (BaseSettings): pin it.
declare -A REQ=(
  [pyx12]="pyx12==4.0.0"
  [linuxforhealth-x12]="linuxforhealth-x12==0.57.0 pydantic<2"
  [x12sdk]="x12sdk==2.2.0"
  [edi-835-parser]="edi-835-parser==1.8.0"
  [x12-edi-tools]="x12-edi-tools==0.1.2"
  [oxedi]="oxedi==0.6.0 pyarrow"
  [kw-x12-parser]="kw-x12-parser==0.1.6 pandas"
  [openx12]="openx12==0.2.1"
  [edifabric-x12]="edifabric-x12==1.1.1"
)
# oxedi: pyarrow only to sum its claims table's amounts for the correctness column (not timed).
# kw-x12-parser imports pandas without declaring it. edifabric-x12 installs, but every call needs
# a vendor serial checked over the network: compare.py reports it as not runnable.
ORDER=(pyx12 linuxforhealth-x12 x12sdk edi-835-parser x12-edi-tools oxedi kw-x12-parser openx12 edifabric-x12)
[ $# -gt 0 ] && ORDER=("$@")

mkdir -p "$PEERS_DIR"
rc=0
for name in "${ORDER[@]}"; do
  req="${REQ[$name]:-}"
  if [ -z "$req" ]; then echo "unknown peer: $name" >&2; rc=1; continue; fi
  venv="$PEERS_DIR/$name"
  if [ -f "$venv/STATUS" ] && grep -q '^ok' "$venv/STATUS"; then
    echo "$name: $(cat "$venv/STATUS") (already set up)"; continue
  fi
  rm -rf "$venv"
  if "$PYTHON" -m venv "$venv" >"$PEERS_DIR/$name.venv.log" 2>&1 \
     && "$venv/bin/python" -m pip install -q --disable-pip-version-check $req >"$venv/install.log" 2>&1; then
    pkg="${req%%==*}"; pkg="${pkg%% *}"
    ver=$("$venv/bin/python" -m pip show "$pkg" 2>/dev/null | sed -n 's/^Version: //p')
    echo "ok $ver" >"$venv/STATUS"
  else
    mkdir -p "$venv"
    last=$(grep -E 'ERROR|Error|error' "$venv/install.log" "$PEERS_DIR/$name.venv.log" 2>/dev/null | tail -1 | cut -c1-200)
    echo "failed: ${last:-pip install $req failed}" >"$venv/STATUS"
    rc=1
  fi
  echo "$name: $(cat "$venv/STATUS")"
done
exit $rc
