#!/usr/bin/env bash
# Install or upgrade Boardgate on a Pi (Debian / Raspberry Pi OS). Idempotent: run it again to
# upgrade; an existing /etc/boardgate/config.yaml is never overwritten.
#
#   sudo deploy/install.sh                 # from a checkout of this repository
#   sudo deploy/install.sh --no-start      # install, but do not enable/start the service
#   deploy/install.sh --root /tmp/x --no-system   # into a throwaway root (tests)
#
# Options:
#   --root DIR      prefix every installed path with DIR (default: /)
#   --source SPEC   what pip installs (default: this checkout)
#   --no-system     skip user/group creation and systemctl (for --root installs)
#   --no-start      do not enable and start the service
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
root=""
source_spec="$here"
system=1
start=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2%/}; shift 2 ;;
    --source) source_spec=$2; shift 2 ;;
    --no-system) system=0; shift ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

prefix="$root/opt/boardgate"
config_dir="$root/etc/boardgate"
state_dir="$root/var/lib/boardgate"
unit_dir="$root/etc/systemd/system"
user=boardgate

if [ "$system" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (or use --root DIR --no-system)" >&2
  exit 2
fi

step() { echo "==> $*"; }

if [ "$system" -eq 1 ]; then
  for group in gpio dialout i2c; do
    if ! getent group "$group" >/dev/null; then
      step "creating group $group"
      groupadd --system "$group"
    fi
  done
  if ! id "$user" >/dev/null 2>&1; then
    step "creating system user $user"
    useradd --system --home-dir /var/lib/boardgate --no-create-home \
      --shell /usr/sbin/nologin --user-group "$user"
  fi
  usermod --append --groups gpio,dialout,i2c "$user"
fi

if [ ! -x "$prefix/venv/bin/python" ]; then
  step "creating virtual environment in $prefix/venv"
  mkdir -p "$prefix"
  # System site packages: Debian's python3-lgpio (the Pi's GPIO library) is visible in the venv.
  python3 -m venv --system-site-packages "$prefix/venv"
fi
step "installing boardgate from $source_spec"
"$prefix/venv/bin/python" -m pip install --quiet --upgrade "$source_spec"
install -m 0644 "$here/README.md" "$prefix/README.md"

install -d -m 0755 "$config_dir"
if [ ! -e "$config_dir/config.yaml" ]; then
  step "writing a starter config to $config_dir/config.yaml"
  install -m 0640 "$here/deploy/examples/starter.yaml" "$config_dir/config.yaml"
else
  step "keeping the existing $config_dir/config.yaml"
fi
install -d -m 0750 "$state_dir"
install -d -m 0755 "$unit_dir"
install -m 0644 "$here/deploy/boardgate.service" "$unit_dir/boardgate.service"

if [ "$system" -eq 1 ]; then
  chown -R "$user:$user" "$state_dir"
  chgrp "$user" "$config_dir/config.yaml"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if [ "$start" -eq 1 ]; then
      step "enabling and (re)starting boardgate.service"
      systemctl enable boardgate.service
      systemctl restart boardgate.service
    fi
  fi
fi
"$prefix/venv/bin/boardgate" check-config -c "$config_dir/config.yaml" || {
  echo "install.sh: edit $config_dir/config.yaml, then: systemctl restart boardgate" >&2
}
step "done: $("$prefix/venv/bin/boardgate" --version)"
