"""
The one naming policy for saved images (`amigochat_sdk._saving`), on a real folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amigochat_sdk._saving import ImageNames, image_suffix, prompt_stem

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 8
GIF = b"GIF89a" + b"\0" * 8
WEBP = b"RIFF\x10\0\0\0WEBPVP8 "
AVIF = b"\0\0\0\x1cftypavif"


@pytest.mark.parametrize(
    ("data", "suffix"),
    [(PNG, ".png"), (JPEG, ".jpg"), (GIF, ".gif"), (WEBP, ".webp"), (AVIF, ".avif")],
)
def test_the_format_comes_from_the_bytes(data: bytes, suffix: str) -> None:
    assert image_suffix(data) == suffix


def test_unknown_bytes_have_no_format() -> None:
    assert image_suffix(b"RIFF\x10\0\0\0WAVE") is None
    assert image_suffix(b"") is None


def test_a_file_path_and_a_folder_follow_the_same_rule(tmp_path: Path) -> None:
    by_file = ImageNames(tmp_path / "a" / "cat.png")
    by_folder = ImageNames(f"{tmp_path / 'b'}/", prompt="Cat")
    assert [by_file.write(PNG) for _ in range(3)] == [
        tmp_path / "a" / "cat.png",
        tmp_path / "a" / "cat-2.png",
        tmp_path / "a" / "cat-3.png",
    ]
    assert [by_folder.write(PNG) for _ in range(3)] == [
        tmp_path / "b" / "cat.png",
        tmp_path / "b" / "cat-2.png",
        tmp_path / "b" / "cat-3.png",
    ]


@pytest.mark.parametrize("as_folder", [False, True])
def test_nothing_is_overwritten(tmp_path: Path, as_folder: bool) -> None:
    (tmp_path / "cat.png").write_bytes(b"mine")
    (tmp_path / "cat-3.png").write_bytes(b"mine too")
    names = ImageNames(tmp_path, prompt="cat") if as_folder else ImageNames(tmp_path / "cat.png")
    assert [names.write(PNG).name for _ in range(2)] == ["cat-2.png", "cat-4.png"]
    assert (tmp_path / "cat.png").read_bytes() == b"mine"
    assert (tmp_path / "cat-3.png").read_bytes() == b"mine too"


def test_the_extension_follows_the_real_format(tmp_path: Path) -> None:
    names = ImageNames(tmp_path / "art.png")
    assert names.write(JPEG) == tmp_path / "art.jpg"  # a JPEG is never saved as .png
    assert names.write(PNG) == tmp_path / "art-2.png"
    assert ImageNames(tmp_path / "photo.JPEG").write(JPEG) == tmp_path / "photo.JPEG"
    assert ImageNames(tmp_path / "cat.v1").write(GIF) == tmp_path / "cat.v1.gif"
    assert ImageNames(tmp_path / "raw.webp").write(b"???") == tmp_path / "raw.webp"
    assert ImageNames(tmp_path / "raw").write(b"???") == tmp_path / "raw.bin"
    assert (tmp_path / "art.jpg").read_bytes() == JPEG


def test_a_folder_without_a_prompt_gets_image(tmp_path: Path) -> None:
    names = ImageNames(tmp_path)
    assert [names.write(PNG).name, names.write(JPEG).name] == ["image.png", "image-2.jpg"]


@pytest.mark.parametrize(
    ("prompt", "stem"),
    [
        ("A futuristic city!", "a-futuristic-city"),
        ("../../etc/passwd", "etc-passwd"),
        ("/absolute/path", "absolute-path"),
        ("..", "image"),
        ("C:\\Windows\\win.ini", "c-windows-win-ini"),
        ("café naïve 日本語", "café-naïve-日本語"),
        ("one two three four five six seven", "one-two-three-four-five-six"),
        ("", "image"),
        (None, "image"),
    ],
)
def test_a_name_from_a_prompt_stays_in_the_folder(tmp_path: Path, prompt: str, stem: str) -> None:
    assert prompt_stem(prompt) == stem
    path = ImageNames(tmp_path, prompt=prompt).write(PNG)
    assert path == tmp_path / f"{stem}.png"
    assert path.resolve().parent == tmp_path.resolve()
