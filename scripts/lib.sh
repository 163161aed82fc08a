# Shared setup steps for scripts/demo and scripts/test. Every step checks first and
# only installs what is missing, so running a script twice is cheap.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CARGO_LEPTOS_VERSION="0.3.0"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown Rust target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if ! cargo leptos --version >/dev/null 2>&1; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (one time, about 20 minutes)"
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
  fi
}

# The wasm-bindgen CLI must be the exact version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
  local want have
  want="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (one time, about 3 minutes)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

# npm packages of end2end/: Playwright and binaryen (its wasm-opt shrinks the release wasm).
ensure_node_modules() {
  if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "installing end2end npm packages"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
  export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
}

ensure_chromium() {
  if ! [ -x /usr/bin/chromium ]; then
    say "installing Debian's Chromium for the browser tests"
    as_root apt-get install -y chromium chromium-driver || { as_root apt-get update && as_root apt-get install -y chromium chromium-driver; }
  fi
}

# kubectl for the kubectl journey test (crates/sim/tests/kubectl.rs), which fails without it:
# Debian's kubernetes-client when no kubectl is on PATH.
ensure_kubectl() {
  if ! command -v kubectl >/dev/null 2>&1; then
    say "installing Debian's kubectl (kubernetes-client) for the kubectl journey test"
    as_root apt-get install -y kubernetes-client || { as_root apt-get update && as_root apt-get install -y kubernetes-client; }
  fi
}

ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    say "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
    echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
    return 1
  fi
}

# Helm's engine (helm-python-sdk bundles it) and the Kubernetes API schemas, to render and
# validate deploy/helm/flotilla offline; a virtualenv outside the clone, made once.
CHART_VENV="${FLOTILLA_CHART_VENV:-$HOME/.cache/flotilla/chart-venv}"
ensure_chart_tools() {
  if ! "$CHART_VENV/bin/python" -c 'import helm_python, kubernetes_validate, yaml' 2>/dev/null; then
    say "installing the chart check's Python packages (Helm engine, Kubernetes schemas)"
    python3 -m venv "$CHART_VENV" || { as_root apt-get install -y python3-venv && python3 -m venv "$CHART_VENV"; }
    "$CHART_VENV/bin/pip" install --quiet helm-python-sdk==0.2.2 kubernetes-validate==1.37.0 pyyaml
  fi
}

# Stops a process this script started, by pid: TERM, then KILL after 10 s; waits for it.
stop_pid() {
  local pid="$1"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Pids of the processes tests start (portals, simulators, OpenID providers) now running.
test_processes() { pgrep -f -- "$TARGET_DIR/(release|debug)/|flotilla (serve|demo)|flotilla-sim|oidc/provider\.mjs" | sort || true; }

# Fails, naming them, when processes started since `test_processes` gave $1 are still running
# (and stops them, so the next run starts clean).
no_processes_left_since() {
  local left
  left="$(comm -13 <(echo "$1") <(test_processes) | grep -v "^$$\$" || true)"
  [ -z "$left" ] && return 0
  echo "processes started by the tests are still running:" >&2
  for pid in $left; do ps -o pid=,args= -p "$pid" >&2 || true; kill "$pid" 2>/dev/null || true; done
  return 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The benchmarks' load tool.
ensure_wrk() { command -v wrk >/dev/null || { say "installing wrk"; as_root apt-get install -y wrk >/dev/null; }; }

# Waits (up to 60 s) until the portal at $1 answers its health check.
wait_healthy() { for _ in $(seq 1 60); do curl -sf "$1/healthz" >/dev/null && return 0; sleep 1; done; return 1; }

# The session cookie a sign-in form post answers with: $1 the portal, $2 the route, $3 the form.
session_cookie() { curl -s -o /dev/null -D - -H "Origin: $1" --data "$3" "$1$2" | sed -n 's/^set-cookie: \(flotilla_session=[^;]*\).*/\1/Ip'; }

# Starts `$1 demo` (a flotilla binary) on a free port with a throw-away SQLite database in the
# directory $2 and waits for it; sets PORTAL_PID, PORTAL_URL and PORTAL_COOKIE (alice's session).
start_demo_portal() {
  local port
  port="$(free_port)"
  PORTAL_URL="http://127.0.0.1:$port"
  (cd "$2" && FLOTILLA_ADDR="127.0.0.1:$port" FLOTILLA_DATABASE_URL="sqlite://$2/portal.db" FLOTILLA_SITE_ROOT="$ROOT/target/site" \
    RUST_LOG=warn exec "$1" demo > "$2/portal.log" 2>&1) &
  PORTAL_PID=$!
  wait_healthy "$PORTAL_URL"
  PORTAL_COOKIE="$(session_cookie "$PORTAL_URL" /auth/demo 'login=alice&next=/')"
}

# The release binary and the site, copied to a plain directory, serve pages and the wasm from
# there (what an operator without containers does, and what the image does).
check_bundle() {
  local dir port pid ok=1
  dir="$(mktemp -d)"
  cp "$(flotilla_bin)" "$dir/flotilla" && cp -r "$ROOT/target/site" "$dir/site"
  port="$(free_port)"
  (cd "$dir" && FLOTILLA_ADDR="127.0.0.1:$port" FLOTILLA_SITE_ROOT=site FLOTILLA_DATA_DIR=data \
    FLOTILLA_DATABASE_URL="sqlite://$dir/flotilla.db" exec ./flotilla serve >"$dir/log" 2>&1) &
  pid=$!
  for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { ok=0; break; }; sleep 0.5; done
  if [ $ok = 0 ]; then
    curl -fsS "http://127.0.0.1:$port/login" | grep -q '/pkg/flotilla' || ok=1
    [ "$(curl -fsS -o /dev/null -w '%{content_type}' "http://127.0.0.1:$port/pkg/flotilla.wasm")" = application/wasm ] || ok=1
  fi
  stop_pid "$pid"
  if [ $ok != 0 ]; then cat "$dir/log" >&2; rm -rf "$dir"; echo "the release bundle does not serve from a plain directory" >&2; return 1; fi
  rm -rf "$dir"
}

ensure_build_tools() {
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_node_modules
}

# One browser bundle per page group (app/src/routes.rs: PageGroup), beside the full app's that
# cargo-leptos builds: target/site/pkg/flotilla-<group>.{js,wasm}, built as cargo-leptos builds
# its own (same target dir, profile and environment, so the app's wasm compiles once), with the
# frontend's `pages-<group>` feature. The server uses a group's files when it finds them.
build_page_bundles() {
  local pkg="$ROOT/target/site/pkg" front="$TARGET_DIR/front" group out made tools
  local groups
  groups="$(sed -n 's/^pages-\([a-z]*\) = .*/\1/p' "$ROOT/frontend/Cargo.toml")"
  for group in $groups; do
    say "building the $group pages' bundle"
    (cd "$ROOT" && LEPTOS_OUTPUT_NAME=flotilla LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_SITE_ADDR=127.0.0.1:3000 \
      LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=false \
      cargo build --package=flotilla-frontend --lib --target-dir="$front" --target=wasm32-unknown-unknown --no-default-features \
      --features="pages-$group" --profile=wasm-release)
    # wasm-bindgen and wasm-opt (about 40 s) only when cargo's output or the tools changed.
    out="$front/wasm32-unknown-unknown/wasm-release/flotilla_frontend.wasm" made="$front/pages/$group"
    tools="$(wasm-bindgen --version) $(wasm-opt --version)"
    if ! cmp -s "$out" "$made/input.wasm" || [ "$(cat "$made/tools" 2>/dev/null)" != "$tools" ]; then
      rm -rf "$made" && mkdir -p "$made"
      wasm-bindgen --target=web --no-typescript --out-name="flotilla-$group" --out-dir="$made" "$out"
      wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$made/flotilla-${group}_bg.wasm" -o "$made/flotilla-$group.wasm"
      rm "$made/flotilla-${group}_bg.wasm"
      cp "$out" "$made/input.wasm" && echo "$tools" >"$made/tools"
    fi
    cp "$made/flotilla-$group.js" "$made/flotilla-$group.wasm" "$pkg/"
  done
}

# Builds the server binary and the site (wasm, js, css) in release mode.
build_release() {
  say "building Flotilla (release)"
  (cd "$ROOT" && cargo leptos build --release)
  build_page_bundles
  # The bundle compressed once, at the strongest settings, for the server to send as it is.
  node "$ROOT/end2end/precompress.mjs" "$ROOT/target/site/pkg" >&2
}

flotilla_bin() { echo "$TARGET_DIR/release/flotilla"; }
