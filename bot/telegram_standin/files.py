"""Files the bot uploads (or users send): bytes kept for tests, served again by getFile."""

from __future__ import annotations

import itertools
import mimetypes
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredFile:
    """An uploaded photo or document. ``url`` is set when the bot sent a URL instead of bytes."""

    kind: str  # "photo" or "document"
    file_id: str
    file_unique_id: str
    filename: str
    data: bytes
    mime_type: str
    file_path: str
    width: int | None = None
    height: int | None = None
    url: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def to_json(self) -> dict[str, object]:
        """A PhotoSize or a Document, as Telegram returns it in a Message."""
        common: dict[str, object] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.kind == "photo":
            return {**common, "width": self.width or 0, "height": self.height or 0}
        return {**common, "file_name": self.filename, "mime_type": self.mime_type}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image; None when it is none of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (segment_length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + segment_length
    return None


class FileStore:
    """Every file by file_id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(
        self,
        kind: str,
        data: bytes,
        filename: str,
        mime_type: str | None = None,
        *,
        url: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        size = image_size(data) if kind == "photo" else None
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        extension = mimetypes.guess_extension(mime) or ""
        stored = StoredFile(
            kind=kind,
            file_id=f"standin-{kind}-{number:06d}",
            file_unique_id=f"U{number:06d}",
            filename=filename,
            data=data,
            mime_type=mime,
            file_path=f"{kind}s/file_{number}{extension}",
            width=size[0] if size else None,
            height=size[1] if size else None,
            url=url,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)
