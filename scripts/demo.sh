#!/usr/bin/env bash
# The main job, end to end on this machine: installs InfluxDB, starts a private influxd on a free
# loopback port with a throw-away data folder, checks the connection, replays the shipped real chest
# recording (data/demo) through the virtual Polar H10 and the whole pipeline into it (decoding,
# filtering, activity classification, sessions, weekly adherence against an example prescription),
# records a pain report after the session, prints what was stored, and stops the server again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_apt_packages influxdb curl python3 ca-certificates
require_dotnet

dotnet build src/AdherencePipeline.Service -c Release -v quiet -nologo
adherence=(dotnet "src/AdherencePipeline.Service/bin/Release/net10.0/adherence.dll")

work=$(mktemp -d -t adherence-demo-XXXXXX)
trap 'stop_influxd; rm -rf "$work"' EXIT
start_influxd "$work/influxdb"
echo "InfluxDB is running at $INFLUX_URL (data in $work/influxdb)"

"${adherence[@]}" influx check --url "$INFLUX_URL" --database adherence --create-database
echo
# Participant P002 of the example registry: two 45-minute sessions a week at moderate intensity.
ADHERENCE_Influx__Writer__SpoolDirectory="$work/spool" \
  "${adherence[@]}" replay --recording data/demo/hexoskin-subject001-excerpt.acc.csv.gz --participant P002 \
  --registry data/participants.example.json --start 2026-03-04T17:00:00Z \
  --profile polar-h10 --url "$INFLUX_URL" --database adherence
echo
"${adherence[@]}" pain add --participant P002 --nrs 4 --peg 4,6,5 --context post --at 2026-03-04T17:20:00Z \
  --registry data/participants.example.json --url "$INFLUX_URL" --database adherence
echo
"${adherence[@]}" report --participant P002 --week 2026-W10 --registry data/participants.example.json \
  --url "$INFLUX_URL" --database adherence --plot "$work/P002-2026-W10.svg"
