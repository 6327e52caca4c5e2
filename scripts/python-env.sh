# Sourced by scripts/demo and scripts/test: the Python that mentormail is installed into.
#
# The python3 on PATH, as it is (a virtual environment already active, a Python of one's
# own); but a system Python that the operating system manages and that refuses installs
# (PEP 668: Debian 12, Ubuntu 23.04 and later) gets a virtual environment in .venv, made
# once and used from then on. Afterwards `. .venv/bin/activate` puts `mentormail` on PATH.

managed_python() {
  python3 - <<'PY'
import sys, sysconfig
from pathlib import Path
in_venv = sys.prefix != sys.base_prefix
managed = (Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED").exists()
sys.exit(0 if managed and not in_venv else 1)
PY
}

use_python_env() {
  if [ -x .venv/bin/python3 ] || managed_python; then
    if [ ! -x .venv/bin/python3 ]; then
      printf '== %s\n' "this Python is the system's: making a virtual environment in .venv"
      if ! python3 -m venv .venv 2>/dev/null; then
        rm -rf .venv
        apt_install python3-venv
        python3 -m venv .venv
      fi
    fi
    VIRTUAL_ENV="$PWD/.venv"
    PATH="$VIRTUAL_ENV/bin:$PATH"
    export VIRTUAL_ENV PATH
  fi
}

# Installs mentormail (with the extras named, as in `.[test]`) into that Python; on failure,
# says so and stops.
install_mentormail() {
  local target="${1:-.}" installed
  if ! installed=$(python3 -m pip install -q --disable-pip-version-check -e "$target" 2>&1); then
    printf '%s\n' "$installed" >&2
    printf '== %s\n' "installing mentormail failed (above)" >&2
    exit 1
  fi
  printf '%s\n' "$installed" | grep -v '^WARNING' || true  # pip's notes on running as root
}
