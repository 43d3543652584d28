"""
`amigochat image`: generate, download and save, with progress on stderr and paths on stdout.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from amigochat_sdk._cli import _client, _parser, _Progress, main
from amigochat_sdk.testing import ReferenceServer
from tests.cli.helpers import SCRIPT, Terminal, assert_clean_error, run

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n"


def test_images_are_saved_in_the_current_directory(
    amigochat_server: ReferenceServer, tmp_path: Path
) -> None:
    result = run(
        "--base-url", amigochat_server.url, "image", "A futuristic city", "-n", "2", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    paths = result.stdout.splitlines()
    assert paths == ["a-futuristic-city.png", "a-futuristic-city-2.png"]
    for path in paths:
        assert (tmp_path / path).read_bytes().startswith(PNG)
    assert result.stderr.splitlines()[-1].startswith("saved 2 images (")
    body = amigochat_server.requests[0].json
    assert (body["model"], body["personaId"], body["n"]) == ("flux-pro/v1.1", "flux-1-1-pro", 2)


def test_an_existing_file_is_not_overwritten(
    amigochat_server: ReferenceServer, tmp_path: Path
) -> None:
    (tmp_path / "cat.png").write_bytes(b"mine")
    result = run("--base-url", amigochat_server.url, "image", "Cat", "-o", str(tmp_path))
    assert result.stdout == f"{tmp_path / 'cat-2.png'}\n"
    assert (tmp_path / "cat.png").read_bytes() == b"mine"


def test_output_file_model_and_size(amigochat_server: ReferenceServer, tmp_path: Path) -> None:
    target = tmp_path / "art.png"
    result = run(
        *("--base-url", amigochat_server.url, "image", "Sunset", "-o", str(target)),
        *("-n", "2", "--model", "dall-e-3", "--size", "32x32"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(target), str(tmp_path / "art-2.png")]
    data = target.read_bytes()
    assert data.startswith(PNG)
    assert data[16:24] == (32).to_bytes(4, "big") * 2  # IHDR width and height
    body = amigochat_server.requests[0].json
    assert (body["model"], body["personaId"], body["size"]) == ("dall-e-3", "dalle-three", "32x32")


def test_new_directory_with_trailing_slash(
    amigochat_server: ReferenceServer, tmp_path: Path
) -> None:
    result = run("--base-url", amigochat_server.url, "image", "Dog", "-o", f"{tmp_path}/new/")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "dog.png").read_bytes().startswith(PNG)


def test_local_and_the_console_script(tmp_path: Path) -> None:
    result = run("--local", "image", "Offline art", via=SCRIPT, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "offline-art.png\n"
    assert (tmp_path / "offline-art.png").read_bytes().startswith(PNG)


def test_progress_bar_on_a_terminal(amigochat_server: ReferenceServer, tmp_path: Path) -> None:
    terminal = Terminal(
        "--base-url", amigochat_server.url, "image", "Bar", "-o", str(tmp_path), stderr_only=True
    )
    try:
        terminal.expect("image 1/1 [########################] 100%")
        terminal.expect("saved 1 image (")
        assert terminal.wait() == 0
        assert terminal.proc.stdout is not None
        assert terminal.proc.stdout.read() == f"{tmp_path / 'bar.png'}\n".encode()
    finally:
        terminal.close()


def test_errors_are_one_line(amigochat_server: ReferenceServer, tmp_path: Path) -> None:
    amigochat_server.faults.push("status=501;body=simple;message=Image model failure")
    result = run("--base-url", amigochat_server.url, "--max-retries", "0", "image", "X")
    assert "Image model failure" in assert_clean_error(result)
    assert result.stdout == ""

    (tmp_path / "file").write_text("not a folder")
    blocked = run("--base-url", amigochat_server.url, "image", "X", "-o", f"{tmp_path}/file/x.png")
    assert "Not a directory" in assert_clean_error(blocked)


def test_a_missing_folder_is_made_for_a_file_path_too(
    amigochat_server: ReferenceServer, tmp_path: Path
) -> None:
    result = run("--base-url", amigochat_server.url, "image", "X", "-o", f"{tmp_path}/new/x.png")
    assert result.stdout == f"{tmp_path / 'new' / 'x.png'}\n", result.stderr


def test_image_count_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image", "X", "-n", "0"]) == 2
    assert capsys.readouterr().err == "error: -n must be at least 1\n"


@pytest.mark.parametrize(("flags", "read"), [([], 300.0), (["--timeout", "3"], 3.0)])
def test_downloads_keep_the_sdk_timeouts(flags: list[str], read: float) -> None:
    # The progress hook needs our own httpx pool; its timeout must stay the SDK's, not httpx's 5 s.
    args = _parser().parse_args([*flags, "image", "X"])
    with _client(args, _Progress(io.StringIO())) as client:
        assert client.timeout.read == read
