#!/usr/bin/env bash
# Runs every test. On a fresh Debian bookworm machine with the .NET 10 SDK it first installs what the
# tests need: InfluxDB and nats-server (the integration tests start their own influxd, and a three-node
# NATS cluster with JetStream, on free loopback ports, each with a throw-away data folder, and stop them
# afterwards), Chromium (the page tests drive it headless through Playwright, which never downloads a
# browser of its own), pandas (the analysis export is read back by it) and the NuGet packages.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_apt_packages influxdb nats-server curl python3 python3-pandas ca-certificates dbus chromium fonts-dejavu-core
require_dotnet

dotnet restore AdherencePipeline.sln
dotnet build AdherencePipeline.sln -c Release --no-restore
# Formatting and analyzer style must leave no diff.
dotnet format AdherencePipeline.sln --verify-no-changes --no-restore

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test AdherencePipeline.sln -c Release --no-build 2>&1 | tee "$log" || status=$?

# One closing line for the whole run, summed over the test assemblies.
awk '/(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) {
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1)
       }
     }
     END { gsub(",", "", f); printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
