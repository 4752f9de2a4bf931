"""The version comes from one place (Cargo.toml), and ``--version`` tells which implementation
runs and how the extension was built; under ``.ci/wheel_check.sh`` the package under test is the
installed wheel, not the source tree."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import sysconfig

import pytest

import influxlite

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _cargo_version() -> str:
    text = (ROOT / "Cargo.toml").read_text()
    section = text.split("[workspace.package]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', section, re.M).group(1)


def _pinned_pyo3() -> str:
    return re.search(r'^pyo3\s*=\s*\{\s*version\s*=\s*"=([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


def _version_output(*command: str, pure: bool) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "INFLUXLITE_PURE"}
    if pure:
        env["INFLUXLITE_PURE"] = "1"
    out = subprocess.run(list(command) + ["--version"], env=env, check=True, capture_output=True, text=True)
    return out.stdout.splitlines()


@pytest.mark.compares_implementations
def test_every_version_is_cargos():
    from importlib.metadata import version

    from packaging.version import Version

    from influxlite import _native, _pure

    cargo = _cargo_version()
    assert _native.__version__ == cargo
    assert influxlite.__version__ == version("influxlite")
    assert Version(influxlite.__version__) == Version(cargo) == Version(_pure.__version__)


@pytest.mark.compares_implementations
def test_native_build_info():
    from influxlite import _native

    build = _native.__build__
    assert re.fullmatch(r"rustc \d+\.\d+\.\d+.*", build["rustc"]), build
    assert build["pyo3"] == _pinned_pyo3()
    assert build["target"]
    # Source builds target this CPython, the distribution wheel the stable ABI (abi3) from 3.10
    # on; the extension's file name must agree with what the build says.
    assert build["abi3"] in (None, "cp310")
    assert pathlib.Path(_native.__file__).name.startswith("_native.abi3.") == (build["abi3"] == "cp310")


def test_python_m_version(impl):
    lines = _version_output(sys.executable, "-m", "influxlite", pure=impl == "pure")
    assert lines[0] == f"influxlite {influxlite.__version__}"
    assert lines[1].startswith(f"implementation: {impl} (")
    text = "\n".join(lines)
    if impl == "native":
        assert f"PyO3 {_pinned_pyo3()}" in text
        assert re.search(r"built with: rustc \d+\.\d+\.\d+", text)
        from influxlite import _native

        if _native.__build__["abi3"]:
            assert "stable ABI (abi3) for CPython 3.10 and later" in text
        else:
            assert f"for CPython {sys.version_info[0]}.{sys.version_info[1]} only" in text
    else:
        assert "rustc" not in text and "PyO3" not in text
        assert "INFLUXLITE_PURE is set" in text


def test_console_script_version(impl):
    script = pathlib.Path(sysconfig.get_path("scripts")) / "influxlite"
    if not script.exists():
        pytest.skip(f"no console script at {script}: the package is not installed in this environment")
    lines = _version_output(str(script), pure=impl == "pure")
    expected = _version_output(sys.executable, "-m", "influxlite", pure=impl == "pure")
    # The last line names the interpreter, which the script's shebang may spell differently.
    assert lines[:-1] == expected[:-1] and lines[-1].startswith("python: ")


def test_package_under_test_is_the_installed_wheel():
    """``.ci/wheel_check.sh`` sets INFLUXLITE_TEST_INSTALLED=1: then the package must come from
    the environment's site-packages, never from the source tree beside these tests."""
    if os.environ.get("INFLUXLITE_TEST_INSTALLED") != "1":
        pytest.skip("not a run against an installed wheel")
    from importlib.metadata import distribution

    package = pathlib.Path(influxlite.__file__).resolve().parent
    site = {pathlib.Path(sysconfig.get_path(k)).resolve() for k in ("purelib", "platlib")}
    assert package.parent in site, (package, site)
    assert ROOT not in package.parents
    direct_url = json.loads(distribution("influxlite").read_text("direct_url.json") or "{}")
    assert not direct_url.get("dir_info", {}).get("editable"), direct_url
    # The distribution wheel is the stable-ABI build.
    assert any(p.name.startswith("_native.abi3.") for p in package.iterdir())
