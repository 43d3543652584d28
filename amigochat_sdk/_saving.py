"""
Where saved images go: the one naming policy for `client.images.save` and `amigochat image`.

Rules:

1. A target is a folder (an existing one, or a path ending in a separator) or a file path; a
   folder means "a file named after the prompt (or `image`) in it". Missing folders are made.
2. The first image takes the name, the next `NAME-2`, `NAME-3`, ...; a name already taken is
   skipped. Nothing is ever overwritten: each file is created exclusively (`open(..., "xb")`),
   so even a file that appears meanwhile is kept.
3. The extension is the image's real format, read from its first bytes: a JPEG is saved as
   `.jpg` even when the target says `.png`. A suffix that is not an image format is part of
   the name (`cat.v1` becomes `cat.v1.png`); bytes of an unknown format keep the target's
   image suffix, else get `.bin`.
4. A name made from a prompt is letters and digits joined by `-`: it holds no separator and no
   dot, so it can never leave the target folder.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from ._exceptions import AmigoChatError

__all__ = ["ImageNames", "image_suffix", "prompt_stem"]

# Magic bytes -> extension. WEBP and AVIF are checked past their container's first bytes.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
    (b"BM", ".bmp"),
)
# Suffixes that name an image format, with the spellings that mean the same format.
_SAME_FORMAT = {
    ".png": ".png",
    ".jpg": ".jpg",
    ".jpeg": ".jpg",
    ".gif": ".gif",
    ".webp": ".webp",
    ".avif": ".avif",
    ".bmp": ".bmp",
}
_MAX_ATTEMPTS = 10_000


def image_suffix(data: bytes) -> str | None:
    """
    The extension of the image format `data` starts with (`.png`, `.jpg`, ...), or `None`.
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return ".avif"
    return next((ext for magic, ext in _SIGNATURES if data.startswith(magic)), None)


def prompt_stem(prompt: str | None) -> str:
    """
    A file name from a prompt's first words (`A futuristic city!` -> `a-futuristic-city`);
    `image` when the prompt has no letters or digits.
    """
    words = re.findall(r"[^\W_]+", (prompt or "").lower())
    return "-".join(words[:6])[:60].strip("-") or "image"


class ImageNames:
    """
    Writes images under `target`, one new file each, following the rules above.

    ```python
    names = ImageNames("out/", prompt="A cat")
    names.write(png_bytes)   # out/a-cat.png
    names.write(jpeg_bytes)  # out/a-cat-2.jpg
    ```
    """

    def __init__(self, target: str | os.PathLike[str], prompt: str | None = None) -> None:
        path = Path(target)
        is_folder = path.is_dir() or str(target).endswith(("/", os.sep))
        if is_folder:
            self._folder, self._stem, self._suffix = path, prompt_stem(prompt), ""
        else:
            suffix = path.suffix if path.suffix.lower() in _SAME_FORMAT else ""
            self._folder = path.parent
            self._stem = path.name[: len(path.name) - len(suffix)]
            self._suffix = suffix
        self._number = 1

    def _extension(self, data: bytes) -> str:
        real = image_suffix(data)
        if real is None:
            return self._suffix or ".bin"
        given = _SAME_FORMAT.get(self._suffix.lower())
        return self._suffix if given == real else real

    def write(self, data: bytes) -> Path:
        """
        Save `data` as a new file and return its path; never replaces an existing file.
        """
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # mkdir's word for "a file sits where the folder should be"
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(self._folder)) from None
        extension = self._extension(data)
        for _ in range(_MAX_ATTEMPTS):
            number, self._number = self._number, self._number + 1
            name = self._stem if number == 1 else f"{self._stem}-{number}"
            candidate = self._folder / f"{name}{extension}"
            try:
                with open(candidate, "xb") as file:
                    file.write(data)
            except FileExistsError:
                continue
            return candidate
        raise AmigoChatError(f"no free file name for {self._stem!r} in {self._folder}")
