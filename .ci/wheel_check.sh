#!/usr/bin/env bash
# Builds what a release ships and tests it the way users install it:
#  1. the sdist, and from that unpacked sdist alone a wheel for CPython's stable ABI
#     (cp310-abi3), linked by zig against glibc 2.17's symbols: manylinux without a container;
#  2. auditwheel's verdict on it, which must be manylinux_2_17;
#  3. that wheel installed (binary packages only) into a fresh virtual environment with no Rust
#     on PATH, and the whole test suite run against it from outside the source tree: both
#     implementations, then again with INFLUXLITE_PURE=1; tests/test_version.py checks that the
#     package under test is the installed one. Other CPython versions found on the machine
#     (3.10, the abi3 floor, and the newest) run the suite against the same wheel too.
# The build tools are pinned and live in their own virtual environment. Artefacts land in dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
python=${PYTHON:-python}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
work=$(mktemp -d "${TMPDIR:-/tmp}/influxlite-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
say() { printf '\n== %s\n' "$*"; }

say "build tools (maturin, zig, auditwheel)"
"$python" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q --disable-pip-version-check \
    maturin==1.16.0 ziglang==0.15.2 auditwheel==6.8.2

say "sdist, then the wheel from the unpacked sdist"
rm -rf dist && mkdir dist
"$work/tools/bin/maturin" sdist --out dist
sdist=$(ls dist/influxlite-*.tar.gz)
mkdir "$work/sdist" && tar -xzf "$sdist" -C "$work/sdist"
(cd "$work"/sdist/influxlite-* &&
    PATH="$work/tools/bin:$PATH" maturin build --release --locked --zig --compatibility manylinux2014 \
        --features abi3 --interpreter "$python" --out "$repo/dist")
wheel=$(ls dist/influxlite-*.whl)
echo "wheel: $(basename "$wheel")"
case $(basename "$wheel") in
    influxlite-*-cp310-abi3-manylinux*_x86_64*.whl) ;;
    *) echo "unexpected wheel tag: $wheel" >&2; exit 1 ;;
esac

say "auditwheel show"
"$work/tools/bin/auditwheel" show "$wheel" | tee "$work/audit.txt"
if ! tr -s ' \n' '  ' <"$work/audit.txt" | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"'; then
    echo "auditwheel does not find the wheel manylinux_2_17 compliant" >&2
    exit 1
fi

# PATH without any directory that holds cargo or rustc: the wheel must need no Rust.
norust=
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    [[ -z $d || -e $d/cargo || -e $d/rustc ]] && continue
    norust=${norust:+$norust:}$d
done

# Runs the suite against the wheel installed in a fresh venv of interpreter $1; with $3 = full,
# a second time with INFLUXLITE_PURE=1 (the in-process run already covers both implementations).
test_wheel() {
    local py=$1 name=$2 runs=${3:-} venv="$work/venv-$2"
    say "fresh venv ($name: $("$py" --version 2>&1)), wheel installed, no Rust on PATH"
    "$py" -m venv "$venv"
    PATH="$venv/bin:$norust" "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        --only-binary :all: "$wheel[test]"
    (
        cd "$work"  # not the source tree: nothing may be imported from python/
        export PATH="$venv/bin:$norust" INFLUXLITE_TEST_INSTALLED=1
        unset PYTHONPATH
        for tool in cargo rustc; do
            if command -v "$tool" >/dev/null; then echo "$tool is still on PATH" >&2; exit 1; fi
        done
        influxlite --version
        INFLUXLITE_PURE=1 python -m influxlite --version
        influxlite import "$repo/examples/cpu.lp" --db demo --data-dir "$work/data-$name" --quiet
        influxlite inspect --data-dir "$work/data-$name" | tail -n 3
        pytest_args=(-q -c "$repo/pyproject.toml" --rootdir "$repo" "$repo/tests" "$repo/bench")
        say "test suite against the installed wheel ($name): native and pure"
        python -m pytest "${pytest_args[@]}"
        if [[ $runs == full ]]; then
            say "test suite against the installed wheel ($name): INFLUXLITE_PURE=1"
            INFLUXLITE_PURE=1 python -m pytest "${pytest_args[@]}"
        fi
    )
}

test_wheel "$python" main full

# The same wheel on other CPython versions present here (pyenv's, Debian's): the oldest
# (3.10, the abi3 floor) and the newest.
main_minor=$("$python" -c 'import sys; print(sys.version_info[1])')
declare -A found=()
for py in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3.* /usr/bin/python3.*; do
    [[ $py =~ /python3\.[0-9]+$ && -x $py ]] || continue
    minor=$("$py" -c 'import sys, venv; print(sys.version_info[1])' 2>/dev/null) || continue
    ((minor >= 10 && minor != main_minor)) && [[ -z ${found[$minor]:-} ]] && found[$minor]=$py
done
others=$(printf '%s\n' "${!found[@]}" | sort -n)
for minor in $(printf '%s\n' "$others" | head -n 1) $(printf '%s\n' "$others" | sed 1d | tail -n 1); do
    test_wheel "${found[$minor]}" "py3$minor"
done
[[ -n $others ]] || echo "no other CPython >= 3.10 here: the wheel was tested on $("$python" --version) only"
say "wheel check passed: $(basename "$wheel")"
