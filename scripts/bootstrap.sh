#!/usr/bin/env bash
# Installs what is missing, and nothing when it is all there already.
# Usage: scripts/bootstrap.sh [main|test]
#   main: what building kmlut and the README's quick start need: the compiler, CMake and the
#         libraries (Debian packages), and a venv (.venv) with numpy for the sample checkpoint.
#   test: (the default) main, plus what the whole test suite needs: clang for the fuzz targets,
#         clang-format, and the Python test oracles and test data in the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

stage=${1:-test}
[[ "$stage" == main || "$stage" == test ]] ||
  { echo "usage: scripts/bootstrap.sh [main|test]" >&2; exit 2; }

packages=(
  cmake ninja-build g++ pkg-config
  nlohmann-json3-dev libyaml-cpp-dev libre2-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-venv python3-dev
)
# The test stage (scripts/test.sh) adds what only the tests need: clang for the fuzz targets and
# the format check, Chromium to render the HTML report, Open MPI for the mpirun test (and the
# build's optional MPI support, KMLUT_MPI=AUTO), patchelf for scripts/gpu-check.sh.
[[ "$stage" == test ]] && packages+=(clang libclang-rt-14-dev clang-format chromium
                                     openmpi-bin libopenmpi-dev patchelf)

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

# Installs a requirements file, and an optional one, into .venv unless its stamp says they are
# there already. A failure of the first stops the bootstrap; a failure of the optional one is a
# warning. Either way the stamp (a hash of the files) is written only when every install
# succeeded, so that a failed one is retried on the next run instead of being taken for done.
install_requirements() {
  local name=$1 required=$2 optional=${3:-}
  local stamp=.venv/.$name-requirements.sha256 want
  want=$(cat "$required" ${optional:+"$optional"} | sha256sum | cut -d' ' -f1)
  [[ -x .venv/bin/python && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  [[ -x .venv/bin/python ]] || python3 -m venv .venv
  rm -f "$stamp"
  echo "bootstrap: installing $required $optional into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$required"
  if [[ -n "$optional" ]] &&
     ! .venv/bin/python -m pip install -q --disable-pip-version-check -r "$optional"; then
    echo "bootstrap: warning: could not install $optional; the next run tries again" >&2
    return 0
  fi
  echo "$want" >"$stamp"
}

install_requirements main scripts/requirements-main.txt
if [[ "$stage" == test ]]; then
  # Without the test data its test skips with the reason, or fails where KMLUT_REQUIRE_ORACLES=1
  # (tests/cli/cannot_run.py).
  install_requirements test scripts/requirements-test.txt scripts/requirements-data.txt
fi
