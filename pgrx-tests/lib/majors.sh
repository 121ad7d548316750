#!/usr/bin/env bash
# Debian roots (debootstrap + chroot) holding the PostgreSQL majors that the host lacks, to
# build and test cedar_cdc against them. Run as root.
#
#   bash pgrx-tests/lib/majors.sh ensure 13 17 18     # build or check the roots (cached)
#   bash pgrx-tests/lib/majors.sh run 17 cargo build --no-default-features --features pg17
#   bash pgrx-tests/lib/majors.sh run -u postgres 17 initdb -D /tmp/x
#   bash pgrx-tests/lib/majors.sh sync 17             # git archive HEAD -> /src/cedar_cdc
#   bash pgrx-tests/lib/majors.sh smoke 17            # throwaway cluster, cedar_cdc slot, INSERT
#   bash pgrx-tests/lib/majors.sh install-lib 13 [DIR] # release .so into $libdir without cargo-pgrx
#   bash pgrx-tests/lib/majors.sh shell 17            # interactive shell inside
#   bash pgrx-tests/lib/majors.sh enter 17 | leave 17 | leave-all | status | path 17
#
# Or source it and call root_ensure / root_enter / root_run / root_leave. A shell that sourced
# it unmounts, on exit, every root that it mounted (set MAJORS_NO_TRAP=1 to manage that
# yourself). One user of a root at a time: root_leave unmounts it whoever mounted it.
#
# Layout of a root ($MAJORS_ROOTS/pgNN), built by debootstrap from Debian's own packages:
#   /usr/lib/postgresql/NN        the server, its dev files (pg_config), contrib
#   /opt/cargo, /opt/rustup       the host's /root/.cargo and /root/.rustup, bind-mounted read-only
#   /opt/cargo-home               CARGO_HOME: $MAJORS_CACHE/cargo-home, shared by all roots (the
#                                 registry is pure source), bind-mounted read-write
#   /opt/pgrx-home                PGRX_HOME (config.toml points at this root's pg_config)
#   /opt/target                   CARGO_TARGET_DIR, so builds are cached per major
#   /src/cedar_cdc                a copy of the repo (`sync`), and the repo itself is
#                                 bind-mounted at its host path ($MAJORS_REPO)
#   /usr/local/bin                root-local tools (cargo-pgrx built inside for old glibc)
# The environment inside is cleared and set by root_run (see _majors_env).

# ---------------------------------------------------------------------------- configuration
MAJORS_CACHE=${MAJORS_CACHE:-${CEDAR_CDC_CACHE:-/var/cache/cedar_cdc}}
MAJORS_ROOTS=${MAJORS_ROOTS:-$MAJORS_CACHE/roots}
MAJORS_MIRROR=${MAJORS_MIRROR:-http://deb.debian.org/debian}
MAJORS_SECURITY_MIRROR=${MAJORS_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
MAJORS_HOST_CARGO=${MAJORS_HOST_CARGO:-/root/.cargo}
MAJORS_HOST_RUSTUP=${MAJORS_HOST_RUSTUP:-/root/.rustup}
MAJORS_CA_BUNDLE=${MAJORS_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
MAJORS_REPO=${MAJORS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MAJORS_PGRX_VERSION=${MAJORS_PGRX_VERSION:-0.18.0}
MAJORS_EXTRA_PACKAGES=${MAJORS_EXTRA_PACKAGES:-}
# Bump when the content of a root changes, so that `ensure` rebuilds the missing part.
MAJORS_LAYOUT=1
MAJORS_BASE_PACKAGES=(libclang-dev clang build-essential pkg-config sudo python3 ca-certificates)

# Debian release that ships each major (MAJORS_SUITE_NN overrides, e.g. for another mirror).
_majors_suite() {
  local var="MAJORS_SUITE_$1"
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  case $1 in
    13) echo bullseye ;;
    15) echo bookworm ;;
    17) echo trixie ;;
    18) echo sid ;;
    *) echo "majors: no Debian release ships PostgreSQL $1 (set MAJORS_SUITE_$1)" >&2; return 1 ;;
  esac
}

# apt sources of a root (MAJORS_SOURCES_NN overrides, one line per entry, `|` between lines).
# bullseye (LTS) gets no -security: its index there names postgresql-13 13.23 debs that the
# mirror's pool does not have (404), so pg13 is bullseye's 13.16.
_majors_sources() {
  local nn=$1 var="MAJORS_SOURCES_$1" suite
  if [ -n "${!var:-}" ]; then tr '|' '\n' <<<"${!var}"; return; fi
  suite=$(_majors_suite "$nn")
  echo "deb $MAJORS_MIRROR $suite main"
  case $suite in
    sid|unstable) ;;
    bullseye) echo "deb $MAJORS_MIRROR $suite-updates main" ;;
    *) echo "deb $MAJORS_MIRROR $suite-updates main"
       echo "deb $MAJORS_SECURITY_MIRROR $suite-security main" ;;
  esac
}

_majors_log() { printf '\033[1m== [pg%s] %s\033[0m\n' "$1" "${*:2}" >&2; }
_majors_die() { echo "majors: $*" >&2; return 1; }

root_path() { echo "$MAJORS_ROOTS/pg$1"; }

_majors_check_major() {
  [[ $1 =~ ^[0-9]+$ ]] || _majors_die "not a major version: '$1'"
}

# What a finished root was built from; a different text means `ensure` rebuilds it.
_majors_stamp_text() {
  local nn=$1
  printf 'layout=%s\nsources=%s\npackages=%s\n' "$MAJORS_LAYOUT" \
    "$(_majors_sources "$nn" | tr '\n' ';')" "$(_majors_packages "$nn" | tr '\n' ' ')"
}

_majors_packages() {
  local nn=$1
  printf '%s\n' "postgresql-$nn" "postgresql-server-dev-$nn" "${MAJORS_BASE_PACKAGES[@]}" \
    $MAJORS_EXTRA_PACKAGES
}

# ---------------------------------------------------------------------------- mounts
_majors_mounted=()   # roots mounted by this shell

_majors_is_mounted() { mountpoint -q "$1" 2>/dev/null; }

_majors_bind() { # SRC DST [ro]
  local src=$1 dst=$2 ro=${3:-}
  mkdir -p "$dst"
  _majors_is_mounted "$dst" && return 0
  mount --bind "$src" "$dst"
  mount --make-private "$dst"
  if [ "$ro" = ro ]; then mount -o remount,bind,ro "$dst"; fi
}

# Mounts what a build and a cluster need: /proc, /dev (+ a private /dev/shm and /dev/pts),
# the host toolchain read-only, the shared cargo home and the repo. /sys is not needed.
root_enter() {
  local nn=$1 root; _majors_check_major "$nn" || return 1
  root=$(root_path "$nn")
  [ -f "$root/.majors-stamp" ] || [ -n "${_MAJORS_BUILDING:-}" ] ||
    _majors_die "root pg$nn not built: run ensure $nn" || return 1
  mkdir -p "$root/proc"
  local fresh=0
  _majors_is_mounted "$root/proc" || { mount -t proc proc "$root/proc"; fresh=1; }
  _majors_bind /dev "$root/dev"
  _majors_is_mounted "$root/dev/shm" || mount -t tmpfs -o mode=1777,size=1g shm "$root/dev/shm"
  _majors_is_mounted "$root/dev/pts" ||
    mount -t devpts -o newinstance,ptmxmode=0666,gid=5,mode=620 devpts "$root/dev/pts" 2>/dev/null || true
  # Fresh name resolution and CA bundle every time (the host's bundle may hold a local CA).
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  mkdir -p "$root/etc/ssl/certs"
  cp -L "$MAJORS_CA_BUNDLE" "$root/etc/ssl/host-ca-bundle.crt"
  if [ -z "${_MAJORS_BUILDING:-}" ]; then
    [ -d "$MAJORS_HOST_CARGO/bin" ] || _majors_die "no Rust toolchain at $MAJORS_HOST_CARGO" || return 1
    _majors_is_mounted "$root/opt/cargo" || _majors_align_postgres "$root"
    _majors_bind "$MAJORS_HOST_CARGO" "$root/opt/cargo" ro
    _majors_bind "$MAJORS_HOST_RUSTUP" "$root/opt/rustup" ro
    mkdir -p "$MAJORS_CACHE/cargo-home"
    _majors_bind "$MAJORS_CACHE/cargo-home" "$root/opt/cargo-home"
    if [ -d "$MAJORS_REPO" ]; then _majors_bind "$MAJORS_REPO" "$root$MAJORS_REPO"; fi
    # Directories shared with the host at the same path (a test run's $CEDAR_RUN: sockets,
    # data directories and logs that host-side clients read).
    local extra; for extra in ${MAJORS_BIND_EXTRA:-}; do
      mkdir -p "$extra"; _majors_bind "$extra" "$root$extra"
    done
    # Tells scripts that they run inside a root (lib/cluster.sh then runs servers directly).
    : > "$root/.majors-root"
  fi
  # Only a shell that mounted the root unmounts it on exit (`enter` keeps it for later runs).
  [ "$fresh" = 1 ] || return 0
  local r; for r in "${_majors_mounted[@]}"; do [ "$r" = "$nn" ] && return 0; done
  _majors_mounted+=("$nn")
  _majors_install_trap
}

# The root's postgres user gets the host's uid and gid, so data directories in a shared
# directory belong to the same user on both sides (the host's clients and sudo -u postgres).
_majors_align_postgres() { # ROOT
  local root=$1 uid gid ruid rgid
  uid=$(id -u postgres 2>/dev/null) || return 0
  gid=$(id -g postgres)
  ruid=$(awk -F: '$1 == "postgres" { print $3 }' "$root/etc/passwd")
  rgid=$(awk -F: '$1 == "postgres" { print $4 }' "$root/etc/passwd")
  [ "$ruid" = "$uid" ] && [ "$rgid" = "$gid" ] && return 0
  chroot "$root" /usr/sbin/groupmod -o -g "$gid" postgres
  chroot "$root" /usr/sbin/usermod -o -u "$uid" -g "$gid" postgres
  # Before any bind mount (a bind of the same file system is not skipped by -xdev).
  chroot "$root" /bin/sh -c "find / -xdev -uid $ruid -exec chown -h $uid {} + 2>/dev/null;
                             find / -xdev -gid $rgid -exec chgrp -h $gid {} + 2>/dev/null; true"
}

# Unmounts everything below the root, deepest first (also what a crashed run left behind).
root_leave() {
  local nn=$1 root m i
  root=$(root_path "$nn")
  root=$(readlink -f "$root" 2>/dev/null || echo "$root")
  for i in 1 2 3; do
    mapfile -t m < <(awk -v r="$root/" 'index($2 "/", r) == 1 { print $2 }' /proc/self/mounts | sort -r)
    [ ${#m[@]} -eq 0 ] && break
    local p; for p in "${m[@]}"; do umount "$p" 2>/dev/null || { [ "$i" = 3 ] && umount -l "$p"; }; done
  done
  local keep=() r; for r in "${_majors_mounted[@]}"; do [ "$r" = "$nn" ] || keep+=("$r"); done
  _majors_mounted=("${keep[@]}")
}

root_leave_all() {
  local d; for d in "$MAJORS_ROOTS"/pg*; do [ -d "$d" ] && root_leave "${d##*/pg}"; done; return 0
}

_majors_cleanup() {
  local r; for r in "${_majors_mounted[@]}"; do root_leave "$r"; done
}

_majors_install_trap() {
  [ -n "${MAJORS_NO_TRAP:-}" ] && return 0
  [ -n "${_majors_trap_set:-}" ] && return 0
  _majors_trap_set=1
  local prev; prev=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
  # shellcheck disable=SC2064
  trap "_majors_cleanup; $prev" EXIT
  trap 'exit 130' INT TERM
}

# ---------------------------------------------------------------------------- running inside
_majors_env() { # NN USER
  local nn=$1 user=$2 home=/root
  [ "$user" = root ] || home=$(awk -F: -v u="$user" '$1 == u { print $6 }' "$(root_path "$nn")/etc/passwd")
  printf '%s\n' \
    "HOME=${home:-/}" "USER=$user" "LOGNAME=$user" "LANG=C.UTF-8" "LC_ALL=C.UTF-8" \
    "TERM=${TERM:-dumb}" "TZ=UTC" \
    "PATH=/usr/local/bin:/opt/cargo/bin:/usr/lib/postgresql/$nn/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "CARGO_HOME=/opt/cargo-home" "RUSTUP_HOME=/opt/rustup" "RUSTUP_AUTO_INSTALL=0" \
    "PGRX_HOME=/opt/pgrx-home" "CARGO_TARGET_DIR=/opt/target" \
    "CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-$(nproc)}" "CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}" \
    "CARGO_HTTP_CAINFO=/etc/ssl/host-ca-bundle.crt" "SSL_CERT_FILE=/etc/ssl/host-ca-bundle.crt" \
    "CEDAR_PG_MAJOR=$nn" "PGBIN=/usr/lib/postgresql/$nn/bin" \
    "DEBIAN_FRONTEND=noninteractive" "RUST_BACKTRACE=0"
  local v; for v in ${MAJORS_PASS_ENV:-}; do [ -n "${!v+x}" ] && echo "$v=${!v}"; done
  return 0
}

# root_run [-u USER] [-C DIR] NN CMD...   (USER root by default, DIR / or the current
# directory when it exists inside the root, e.g. the bind-mounted repo)
root_run() {
  local user=root dir=
  while [ $# -gt 0 ]; do
    case $1 in
      -u|--user) user=$2; shift 2 ;;
      --postgres) user=postgres; shift ;;
      -C|--cd) dir=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  local nn=$1; shift
  [ $# -gt 0 ] || set -- bash -l
  local root; root=$(root_path "$nn")
  root_enter "$nn" || return 1
  if [ -z "$dir" ]; then
    if [ -d "$root$PWD" ] && [ "$PWD" != / ]; then dir=$PWD; else dir=/; fi
  fi
  local spec=()
  [ "$user" = root ] || spec=(--userspec="$user:$user" --groups="$user")
  local env_args; mapfile -t env_args < <(_majors_env "$nn" "$user")
  chroot "${spec[@]}" "$root" /usr/bin/env -i "${env_args[@]}" /bin/sh -c 'cd "$0" && exec "$@"' "$dir" "$@"
}

# ---------------------------------------------------------------------------- building
_majors_chroot() { # NN CMD... as root with a minimal environment, during the build
  local root; root=$(root_path "$1"); shift
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
    DEBIAN_FRONTEND=noninteractive "$@"
}

_majors_write_apt_config() {
  local nn=$1 root suite; root=$(root_path "$nn"); suite=$(_majors_suite "$nn")
  _majors_sources "$nn" > "$root/etc/apt/sources.list"
  cat > "$root/etc/apt/apt.conf.d/90cedar-majors" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Keep-Downloaded-Packages "false";
Dpkg::Options { "--force-confdef"; "--force-confold"; };
EOF
  # A snapshot of sid can be past its Release file's Valid-Until on this clock.
  case $suite in
    sid|unstable) echo 'Acquire::Check-Valid-Until "false";' >> "$root/etc/apt/apt.conf.d/90cedar-majors" ;;
  esac
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
  cat > "$root/etc/dpkg/dpkg.cfg.d/90cedar-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  # No services start inside, and postgresql-common creates no default cluster.
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 755 "$root/usr/sbin/policy-rc.d"
  mkdir -p "$root/etc/postgresql-common"
  echo 'create_main_cluster = false' > "$root/etc/postgresql-common/createcluster.conf"
}

# ensure NN: builds what is missing of the root; a finished root is checked in milliseconds.
root_ensure() {
  local nn=$1 root suite; _majors_check_major "$nn" || return 1
  root=$(root_path "$nn"); suite=$(_majors_suite "$nn") || return 1
  local want; want=$(_majors_stamp_text "$nn")
  if [ -f "$root/.majors-stamp" ] && [ "$(cat "$root/.majors-stamp")" = "$want" ]; then
    _majors_pgrx_init "$nn" || return 1
    _majors_log "$nn" "ready: $root ($(cat "$root/.majors-pg-version" 2>/dev/null))"
    return 0
  fi
  command -v debootstrap >/dev/null || {
    _majors_log "$nn" "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  } || return 1
  root_leave "$nn"
  rm -f "$root/.majors-stamp"
  local t0=$SECONDS
  if [ ! -f "$root/.majors-debootstrap" ]; then
    _majors_log "$nn" "debootstrap $suite into $root"
    rm -rf "$root"; mkdir -p "$root"
    debootstrap --variant=minbase "$suite" "$root" "$MAJORS_MIRROR" > "$root.debootstrap.log" 2>&1 || {
      tail -20 "$root.debootstrap.log" >&2; _majors_die "debootstrap $suite failed (log: $root.debootstrap.log)"; return 1; }
    rm -f "$root.debootstrap.log"
    touch "$root/.majors-debootstrap"
  fi
  _majors_write_apt_config "$nn"
  (
    export _MAJORS_BUILDING=1 MAJORS_NO_TRAP=1
    trap 'root_leave "$nn"' EXIT
    root_enter "$nn" || exit 1
    _majors_log "$nn" "apt-get install $(_majors_packages "$nn" | tr '\n' ' ')"
    _majors_chroot "$nn" apt-get update -qq || exit 1
    local pkgs; mapfile -t pkgs < <(_majors_packages "$nn")
    # contrib is its own package only before PostgreSQL 10; a real postgresql-contrib-NN is added.
    if _majors_chroot "$nn" apt-cache show "postgresql-contrib-$nn" 2>/dev/null | grep -q '^Package:'; then
      pkgs+=("postgresql-contrib-$nn")
    fi
    _majors_chroot "$nn" apt-get install -y -qq "${pkgs[@]}" > "$root/.majors-apt.log" 2>&1 || {
      tail -30 "$root/.majors-apt.log" >&2; exit 1; }
    _majors_chroot "$nn" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/*_Packages "$root"/var/lib/apt/lists/*_Sources 2>/dev/null
    _majors_chroot "$nn" sh -c 'id postgres >/dev/null 2>&1 ||
      useradd --system --user-group --home-dir /var/lib/postgresql --create-home --shell /bin/bash postgres'
    install -d -o 0 -g 0 -m 755 "$root/opt/cargo" "$root/opt/rustup" "$root/opt/cargo-home" \
      "$root/opt/pgrx-home" "$root/opt/target" "$root/src"
    # Keep the host's CA bundle (it may hold a local CA) in front of Debian's.
    cp -L "$MAJORS_CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
    "$root/usr/lib/postgresql/$nn/bin/postgres" --version > "$root/.majors-pg-version" 2>/dev/null ||
      _majors_chroot "$nn" "/usr/lib/postgresql/$nn/bin/postgres" --version > "$root/.majors-pg-version"
  ) || { _majors_die "building root pg$nn failed"; return 1; }
  echo "$want" > "$root/.majors-stamp"
  _majors_log "$nn" "root built in $((SECONDS - t0)) s, $(du -sh -x "$root" | cut -f1): $(cat "$root/.majors-pg-version")"
  _majors_pgrx_init "$nn"
}

# cargo pgrx init inside the root (PGRX_HOME=/opt/pgrx-home). The host's cargo-pgrx is used
# when it runs in the root; otherwise (bullseye has glibc 2.31 and OpenSSL 1.1, the host's
# binary needs 2.34+ and libssl3)
# MAJORS_BUILD_CARGO_PGRX=1 builds cargo-pgrx inside into /usr/local/bin, and without it only
# config.toml is written (enough for `cargo build`; `cargo pgrx` commands then need the build).
_majors_pgrx_init() {
  local nn=$1 root; root=$(root_path "$nn")
  local want="pgrx=$MAJORS_PGRX_VERSION pg_config=/usr/lib/postgresql/$nn/bin/pg_config"
  if [ -f "$root/.majors-pgrx" ] && [ "$(cat "$root/.majors-pgrx")" = "$want" ]; then return 0; fi
  if [ ! -x "$MAJORS_HOST_CARGO/bin/cargo-pgrx" ] && [ ! -x "$root/usr/local/bin/cargo-pgrx" ]; then
    if [ -n "${MAJORS_WAIT_PGRX:-}" ]; then
      _majors_log "$nn" "waiting up to ${MAJORS_WAIT_PGRX}s for $MAJORS_HOST_CARGO/bin/cargo-pgrx"
      local t=0
      while [ ! -x "$MAJORS_HOST_CARGO/bin/cargo-pgrx" ] && [ $t -lt "$MAJORS_WAIT_PGRX" ]; do sleep 10; t=$((t + 10)); done
    fi
  fi
  local v=
  if [ -x "$root/usr/local/bin/cargo-pgrx" ] || [ -x "$MAJORS_HOST_CARGO/bin/cargo-pgrx" ]; then
    v=$(root_run "$nn" cargo pgrx --version 2>/dev/null | awk '{print $2}') || true
  fi
  if [ "$v" != "$MAJORS_PGRX_VERSION" ] && [ -n "${MAJORS_BUILD_CARGO_PGRX:-}" ]; then
    _majors_log "$nn" "building cargo-pgrx $MAJORS_PGRX_VERSION inside (host binary unusable here)"
    # cargo-pgrx links OpenSSL; the host's binary needs libssl3 and glibc 2.34+.
    root_run "$nn" sh -c 'dpkg -s libssl-dev >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libssl-dev >/dev/null; }' || return 1
    root_run "$nn" cargo install cargo-pgrx --version "$MAJORS_PGRX_VERSION" --locked --root /usr/local \
      --target-dir /opt/target/cargo-pgrx || return 1
    v=$(root_run "$nn" cargo pgrx --version 2>/dev/null | awk '{print $2}') || true
  fi
  if [ "$v" = "$MAJORS_PGRX_VERSION" ]; then
    _majors_log "$nn" "cargo pgrx init --pg$nn"
    root_run "$nn" cargo pgrx init "--pg$nn" "/usr/lib/postgresql/$nn/bin/pg_config" >/dev/null || return 1
    echo "$want" > "$root/.majors-pgrx"
  else
    # No usable cargo-pgrx (yet): the same config.toml `cargo pgrx init` writes, so `cargo build`
    # works; ensure runs init again once cargo-pgrx can run.
    _majors_log "$nn" "no usable cargo-pgrx ${v:+(found $v)}: wrote PGRX_HOME/config.toml only"
    mkdir -p "$root/opt/pgrx-home"
    printf '[configs]\npg%s = "/usr/lib/postgresql/%s/bin/pg_config"\n' "$nn" "$nn" > "$root/opt/pgrx-home/config.toml"
  fi
}

# sync NN [REV]: the repo at REV (default HEAD) as /src/cedar_cdc inside the root (the target
# dir stays, so rebuilds are incremental).
root_sync() {
  local nn=$1 rev=${2:-HEAD} root; root=$(root_path "$nn")
  [ -f "$root/.majors-stamp" ] || _majors_die "root pg$nn not built: run ensure $nn" || return 1
  rm -rf "$root/src/cedar_cdc.new"; mkdir -p "$root/src/cedar_cdc.new"
  git -C "$MAJORS_REPO" archive "$rev" | tar -x -C "$root/src/cedar_cdc.new" || return 1
  rm -rf "$root/src/cedar_cdc"; mv "$root/src/cedar_cdc.new" "$root/src/cedar_cdc"
  echo "$(git -C "$MAJORS_REPO" rev-parse "$rev")" > "$root/src/cedar_cdc/.majors-rev"
}

# install-lib NN [DIR]: `cargo build --release` of the repo at DIR (default /src/cedar_cdc)
# and the shared library copied into the root's $libdir: all a decoding slot needs, for a
# root where cargo-pgrx does not run (pg13; `cargo pgrx install` also writes the SQL files).
root_install_lib() {
  local nn=$1 dir=${2:-/src/cedar_cdc}
  root_run -C "$dir" "$nn" sh -c 'cargo build --release --lib --no-default-features --features "pg$1" &&
    install -m 755 "$CARGO_TARGET_DIR/release/libcedar_cdc.so" "$(pg_config --pkglibdir)/cedar_cdc.so" &&
    echo "installed $(pg_config --pkglibdir)/cedar_cdc.so"' sh "$nn"
}

# smoke NN [PORT]: majors-smoke.sh inside the root as postgres (default port 54400+NN:
# 54413, 54417, 54418). Needs the extension installed in the root first.
root_smoke() {
  local nn=$1 port=${2:-$((54400 + $1))}
  root_run -u postgres -C / "$nn" bash -s "$nn" "$port" < "$(dirname "${BASH_SOURCE[0]}")/majors-smoke.sh"
}

root_status() {
  local d nn
  for d in "$MAJORS_ROOTS"/pg*; do
    [ -d "$d" ] || continue; nn=${d##*/pg}
    printf 'pg%s  %s  %s  %s  mounts=%s\n' "$nn" "$d" \
      "$([ -f "$d/.majors-stamp" ] && cat "$d/.majors-pg-version" 2>/dev/null || echo unfinished)" \
      "$(du -sh -x "$d" 2>/dev/null | cut -f1)" \
      "$(awk -v r="$d/" 'index($2 "/", r) == 1' /proc/self/mounts | wc -l)"
  done
}

# ---------------------------------------------------------------------------- CLI
_majors_main() {
  set -euo pipefail
  [ "$(id -u)" = 0 ] || { echo "majors.sh: run as root" >&2; exit 1; }
  local cmd=${1:-}; shift || true
  case $cmd in
    ensure) [ $# -gt 0 ] || set -- 13 17 18
            local nn; for nn in "$@"; do root_ensure "$nn"; done ;;
    run)    root_run "$@" ;;
    shell)  root_run "$@" bash ;;
    sync)   root_sync "$@" ;;
    smoke)  root_smoke "$@" ;;
    install-lib) root_install_lib "$@" ;;
    enter)  MAJORS_NO_TRAP=1 root_enter "$1" ;;
    leave)  root_leave "$1" ;;
    leave-all) root_leave_all ;;
    status) root_status ;;
    path)   root_path "$1" ;;
    *) sed -n '2,15p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then _majors_main "$@"; fi
