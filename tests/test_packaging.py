"""
The wheel and the sdist as a package index and a new user see them: built from this checkout,
checked by twine, the wheel installed into a fresh virtual environment without extras.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from amigochat_sdk import __version__

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("dist")
    # No isolation: the build backend (hatchling) is in the dev extra, and a build needs no index.
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, REPO)
    yield out


def only(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


def test_twine_accepts_both_archives(dist: Path) -> None:
    wheel, sdist = only(dist, "*.whl"), only(dist, "*.tar.gz")
    result = run(sys.executable, "-m", "twine", "check", "--strict", wheel, sdist)
    assert result.stdout.count("PASSED") == 2


def test_the_wheel_holds_the_package_and_nothing_else(dist: Path) -> None:
    wheel = only(dist, f"amigochat_sdk-{__version__}-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    info = f"amigochat_sdk-{__version__}.dist-info"
    for needed in (
        "amigochat_sdk/__init__.py",
        "amigochat_sdk/py.typed",
        "amigochat_sdk/types/_generated.py",
        "amigochat_sdk/types/_params.py",
        "amigochat_sdk/testing/openapi.yaml",
        f"{info}/licenses/LICENSE",
        f"{info}/entry_points.txt",
    ):
        assert needed in names
    assert {name.split("/")[0] for name in names} == {"amigochat_sdk", info}
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    assert "Project-URL: Source, https://" in metadata
    for dependency in ("httpx", "pydantic", "anyio", "typing-extensions"):
        assert f"Requires-Dist: {dependency}" in metadata.replace(
            "typing_extensions", "typing-extensions"
        )
    spec = zipfile.ZipFile(wheel).read("amigochat_sdk/testing/openapi.yaml")
    assert spec == (REPO / "openapi" / "amigochat.yaml").read_bytes()


def test_the_sdist_holds_the_sources_license_and_spec_but_no_tests(dist: Path) -> None:
    sdist = only(dist, f"amigochat_sdk-{__version__}.tar.gz")
    root = f"amigochat_sdk-{__version__}"
    names = {name.removeprefix(f"{root}/") for name in tarfile.open(sdist).getnames()}
    for needed in ("LICENSE", "README.md", "pyproject.toml", "openapi/amigochat.yaml"):
        assert needed in names
    assert "amigochat_sdk/types/_generated.py" in names
    assert not {n for n in names if n.startswith(("tests/", "benchmarks/", "scripts/", ".ci/"))}


def test_the_wheel_works_in_a_fresh_environment_without_extras(dist: Path, tmp_path: Path) -> None:
    wheel = only(dist, "*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    run(python, "-c", "import amigochat_sdk, amigochat_sdk.types; amigochat_sdk.Client")
    assert "usage: amigochat" in run(venv / "bin" / "amigochat", "--help").stdout
    # The server extra is absent: one line that names it, no traceback.
    missing = subprocess.run(
        [python, "-m", "amigochat_sdk.testing"], capture_output=True, text=True, check=False
    )
    assert missing.returncode != 0
    assert missing.stderr.strip().splitlines() == [missing.stderr.strip()]
    assert "amigochat-sdk[server]" in missing.stderr
    assert "Traceback" not in missing.stderr
