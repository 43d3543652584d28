"""
The base of every generated model (`base-class` in the generator's settings).
"""

from __future__ import annotations

import pydantic

from .._meta import response_info

__all__ = ["APIModel"]


class APIModel(pydantic.BaseModel):
    """A pydantic model of the wire; a result the SDK returned also knows its request id."""

    @property
    def _request_id(self) -> str | None:
        """
        The server's id for the request that brought this result (`x-request-id`), as
        openai-python names it; `None` on a model not returned by a call. The rest of the
        response (status, headers, retries, time) is `amigochat_sdk.response_info(result)`.
        """
        info = response_info(self)
        return None if info is None else info.request_id
