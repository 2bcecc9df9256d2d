"""``files.*``: the calling app's confined, encrypted file namespace (capability ``files``).

Paths are relative to the app's files folder and checked by ``superapp.storage.check_path``
(the rules are listed there); contents travel as UTF-8 text or base64. Files count against
the same quota as ``storage.*`` and share its store handle and error mapping.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bridge.capabilities.storage import app_store, storage_errors
from bridge.context import CallContext
from bridge.errors import InvalidParamsError

__all__ = [
    "APIS",
    "FilesDelete",
    "FilesList",
    "FilesRead",
    "FilesWrite",
    "delete",
    "list_",
    "read",
    "write",
]

Encoding = Literal["utf8", "base64"]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FilesRead(_Params):
    path: str
    encoding: Encoding = "utf8"


class FilesWrite(_Params):
    path: str
    data: str
    encoding: Encoding = "utf8"


class FilesList(_Params):
    #: Folder to list, relative; "" for the top of the app's files folder.
    path: str = ""


class FilesDelete(_Params):
    path: str


def read(ctx: CallContext, params: FilesRead) -> dict[str, Any] | None:
    """``{data, encoding, size}`` of the file, or null if there is no such file."""
    with storage_errors(ctx, "files.read"):
        content = app_store(ctx).files.read(params.path)
    if content is None:
        return None
    if params.encoding == "base64":
        data = base64.b64encode(content).decode("ascii")
    else:
        try:
            data = content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidParamsError(
                "file is not UTF-8 text; read it with encoding 'base64'"
            ) from None
    return {"data": data, "encoding": params.encoding, "size": len(content)}


def write(ctx: CallContext, params: FilesWrite) -> dict[str, int]:
    """Create or replace the file atomically; ``{size}`` written."""
    if params.encoding == "base64":
        try:
            content = base64.b64decode(params.data, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParamsError("data is not valid base64") from None
    else:
        try:
            content = params.data.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidParamsError("data is not valid Unicode text") from None
    with storage_errors(ctx, "files.write"):
        app_store(ctx).files.write(params.path, content)
    return {"size": len(content)}


def list_(ctx: CallContext, params: FilesList) -> list[dict[str, object]]:
    """Entries ``{name, kind: "file"|"folder", size}`` directly inside ``path``."""
    with storage_errors(ctx, "files.list"):
        return [entry.to_json() for entry in app_store(ctx).files.list(params.path)]


def delete(ctx: CallContext, params: FilesDelete) -> bool:
    """Delete the file (folders it leaves empty go too); true if it existed."""
    with storage_errors(ctx, "files.delete"):
        return app_store(ctx).files.delete(params.path)


#: api name -> (params model, handler); the dispatcher's table imports this.
APIS: Mapping[str, tuple[type[BaseModel], Callable[[CallContext, Any], Any]]] = {
    "files.read": (FilesRead, read),
    "files.write": (FilesWrite, write),
    "files.list": (FilesList, list_),
    "files.delete": (FilesDelete, delete),
}
