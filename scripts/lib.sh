# Shared by the scripts in this folder: installing what the project needs on a Debian machine,
# and running a throw-away influxd. Sourced, not run.

# Installs Debian packages that are missing. Needs root (or sudo).
ensure_apt_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo="sudo"
  fi
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # The influxdb package would start its own server where systemd runs; ours run on free ports instead.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

require_dotnet() {
  if ! command -v dotnet >/dev/null || ! dotnet --list-sdks | grep -q '^10\.'; then
    echo "error: the .NET 10 SDK is needed (https://learn.microsoft.com/dotnet/core/install/linux-debian)" >&2
    return 1
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

# Prints a TCP port that nothing on the loopback interface listens on.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts influxd on a free loopback port with its data in $1; sets INFLUX_URL and INFLUXD_PID.
start_influxd() {
  local dir=$1 http rpc
  http=$(free_port); rpc=$(free_port)
  mkdir -p "$dir"
  INFLUXDB_META_DIR="$dir/meta" INFLUXDB_DATA_DIR="$dir/data" INFLUXDB_DATA_WAL_DIR="$dir/wal" \
  INFLUXDB_HTTP_BIND_ADDRESS="127.0.0.1:$http" INFLUXDB_BIND_ADDRESS="127.0.0.1:$rpc" \
  INFLUXDB_REPORTING_DISABLED=true INFLUXDB_HTTP_LOG_ENABLED=false INFLUXDB_MONITOR_STORE_ENABLED=false \
    influxd -config /dev/null >"$dir/influxd.log" 2>&1 &
  INFLUXD_PID=$!
  INFLUX_URL="http://127.0.0.1:$http"
  for _ in $(seq 1 300); do
    if curl -sf -o /dev/null "$INFLUX_URL/ping"; then return 0; fi
    kill -0 "$INFLUXD_PID" 2>/dev/null || { echo "error: influxd exited; its log:" >&2; cat "$dir/influxd.log" >&2; return 1; }
    sleep 0.1
  done
  echo "error: influxd did not answer on $INFLUX_URL within 30 s" >&2
  return 1
}

stop_influxd() {
  if [ -n "${INFLUXD_PID:-}" ] && kill -0 "$INFLUXD_PID" 2>/dev/null; then
    kill "$INFLUXD_PID" && wait "$INFLUXD_PID" 2>/dev/null || true
  fi
}
