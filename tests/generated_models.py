"""
A hypothesis strategy for pydantic models such as users write: nested models, optional
fields, enums and literals, lists, bounded numbers and strings, common formats.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import uuid
from typing import Annotated, Any, Literal, Optional

import pydantic
from hypothesis import strategies as st

__all__ = ["models"]

_names = itertools.count()

SCALARS: list[Any] = [
    str,
    int,
    float,
    bool,
    Annotated[int, pydantic.Field(ge=10, le=20)],
    Annotated[int, pydantic.Field(gt=0, multiple_of=5)],
    Annotated[float, pydantic.Field(gt=0.25, lt=0.5)],
    Annotated[str, pydantic.Field(min_length=12, max_length=15)],
    Annotated[str, pydantic.Field(max_length=2)],
    Literal["red", "green"],
    Literal[3],
    dt.datetime,
    dt.date,
    uuid.UUID,
]


def _enum() -> Any:
    return enum.Enum(f"Colour{next(_names)}", {"RED": "red", "BLUE": "blue"})


def _fields(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    def wrap(draw_type: Any, shape: str) -> Any:
        if shape == "optional":
            return Optional[draw_type]  # noqa: UP045 - built at run time
        if shape == "list":
            return list[draw_type]
        if shape == "bounded_list":
            bounds = pydantic.Field(min_length=1, max_length=3)
            return Annotated[list[draw_type], bounds]
        return draw_type

    return st.builds(wrap, inner, st.sampled_from(["plain", "optional", "list", "bounded_list"]))


def _model(fields: list[tuple[Any, bool]]) -> type[pydantic.BaseModel]:
    # An optional field has a `None` default when drawn so: not required, as users write it.
    spec: dict[str, Any] = {
        f"f{index}": (tp, None if with_default and _is_optional(tp) else ...)
        for index, (tp, with_default) in enumerate(fields)
    }
    return pydantic.create_model(f"Model{next(_names)}", **spec)


def _is_optional(tp: Any) -> bool:
    return type(None) in getattr(tp, "__args__", ())


leaves: st.SearchStrategy[Any] = st.one_of(st.sampled_from(SCALARS), st.builds(_enum))


def models(max_leaves: int = 12) -> st.SearchStrategy[type[pydantic.BaseModel]]:
    """Models whose fields are scalars, enums, other such models, optional or in lists."""
    return st.recursive(
        st.lists(st.tuples(_fields(leaves), st.booleans()), min_size=1, max_size=4).map(_model),
        lambda inner: st.lists(
            st.tuples(_fields(st.one_of(leaves, inner)), st.booleans()), min_size=1, max_size=4
        ).map(_model),
        max_leaves=max_leaves,
    )
