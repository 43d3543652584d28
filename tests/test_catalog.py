"""
The model catalog: the seed's persona ids, aliases, the `gpt-4o` rule, suggestions for typos, and
that an explicit persona id lets any model through.
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from amigochat_sdk import (
    ALIASES,
    CHAT_MODELS,
    DEFAULT_IMAGE_MODEL,
    DEFAULT_MODEL,
    IMAGE_MODELS,
    ModelInfo,
    ResolvedModel,
    is_image_model,
    list_models,
    resolve_model,
)

KNOWN = {*ALIASES, *CHAT_MODELS, *IMAGE_MODELS}


def test_the_seed_examples() -> None:
    assert resolve_model("gpt-4o-mini") == ResolvedModel("gpt-4o-mini", "amigo", "chat")
    assert resolve_model("flux-pro/v1.1") == ResolvedModel("flux-pro/v1.1", "flux-1-1-pro", "image")


def test_defaults_are_in_the_tables() -> None:
    assert DEFAULT_MODEL in CHAT_MODELS
    assert DEFAULT_IMAGE_MODEL in IMAGE_MODELS


@pytest.mark.parametrize(
    ("model", "persona"),
    [
        ("gpt-4o-2024-11-20", "gpt"),
        ("claude-3-5-sonnet-20241022", "clude-claude-3-5-sonnet-20241022"),  # sic
        ("mistralai/Mistral-7B-Instruct-v0.3", "mistralai-Mistral-7B-Instruct-v0.1"),
        ("gemini-1.5-flash", "gemini-1.5-flash"),
        ("gpt-4.1-2025-04-14", "amigo"),
        ("dall-e-3", "dalle-three"),
        ("recraft-v3", "recraft"),
    ],
)
def test_protocol_persona_ids(model: str, persona: str) -> None:
    assert resolve_model(model).persona_id == persona


def test_chat_and_image_tables_do_not_overlap() -> None:
    assert not set(CHAT_MODELS) & set(IMAGE_MODELS)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_every_alias_resolves_to_a_model_in_the_tables(alias: str) -> None:
    target = ALIASES[alias]
    assert target in CHAT_MODELS or target in IMAGE_MODELS
    resolved = resolve_model(alias)
    assert resolved.model == target
    assert resolved.known
    table = IMAGE_MODELS if resolved.kind == "image" else CHAT_MODELS
    assert resolved.persona_id == table[target]


def test_only_gpt_4o_is_both_an_alias_and_a_different_model() -> None:
    models = {*CHAT_MODELS, *IMAGE_MODELS}
    clashes = {alias for alias, target in ALIASES.items() if alias != target and alias in models}
    assert clashes == {"gpt-4o"}


def test_gpt_4o_follows_the_documented_rule() -> None:
    # Aliases first: `gpt-4o` means `gpt-4o-2024-11-20` (persona `gpt`), as the seed sent it.
    assert resolve_model("gpt-4o") == ResolvedModel("gpt-4o-2024-11-20", "gpt", "chat")
    assert resolve_model("gpt-4o", "summarizer").persona_id == "summarizer"


def test_gpt_4o_with_summarizer_reaches_the_gpt_4o_entry() -> None:
    assert resolve_model("gpt-4o", "summarizer") == ResolvedModel("gpt-4o", "summarizer", "chat")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("flux-pro/v1.1", True),
        ("flux-dev", True),  # an alias of `flux/dev`
        ("dall-e-3", True),
        ("gpt-4o-mini", False),
        ("gpt-4o", False),
        ("never-heard-of-it", False),
    ],
)
def test_is_image_model(name: str, expected: bool) -> None:
    assert is_image_model(name) is expected


def test_list_models_has_every_model_once_with_its_aliases() -> None:
    models = list_models()
    assert all(isinstance(m, ModelInfo) for m in models)
    names = [m.name for m in models]
    assert len(names) == len(set(names))
    assert set(names) == {*CHAT_MODELS, *IMAGE_MODELS}
    assert [m.kind for m in models] == sorted(m.kind for m in models)  # chat models first
    for info in models:
        table = CHAT_MODELS if info.kind == "chat" else IMAGE_MODELS
        assert info.persona_id == table[info.name]
        assert set(info.aliases) == {a for a, t in ALIASES.items() if t == info.name and a != t}
    by_name = {m.name: m for m in models}
    assert by_name["gpt-4o-2024-11-20"].aliases == ("gpt-4o",)
    assert by_name["flux/dev"] == ModelInfo("flux/dev", "image", "flux-dev", ("flux-dev",))
    listed_aliases = sorted(a for m in models for a in m.aliases)
    assert listed_aliases == sorted(a for a, t in ALIASES.items() if a != t)


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("gpt-4o-mni", "gpt-4o-mini"),
        ("GPT-4o-mini", "gpt-4o-mini"),
        ("claude-3.5-sonet", "claude-3.5-sonnet"),
        ("flux-pro/v1", "flux-pro/v1.1"),
    ],
)
def test_unknown_model_suggests_close_names(typo: str, suggestion: str) -> None:
    with pytest.raises(ValueError, match="Did you mean") as info:
        resolve_model(typo)
    message = str(info.value)
    assert repr(typo) in message
    assert repr(suggestion) in message
    assert "persona_id" in message


def test_unknown_model_without_close_names() -> None:
    with pytest.raises(ValueError, match="Unknown model") as info:
        resolve_model("zzzzzzzzzzzz")
    assert "Did you mean" not in str(info.value)


def test_an_explicit_persona_passes_any_model() -> None:
    assert resolve_model("my-new-model", "new-persona") == ResolvedModel(
        "my-new-model", "new-persona", "chat", known=False
    )
    assert resolve_model("new-painter", "painter", kind="image") == ResolvedModel(
        "new-painter", "painter", "image", known=False
    )


def test_an_explicit_persona_overrides_a_known_one() -> None:
    assert resolve_model("gpt-4o-mini", "custom") == ResolvedModel("gpt-4o-mini", "custom", "chat")
    assert resolve_model("claude-3.5-sonnet", "claude") == ResolvedModel(
        "claude-3-5-sonnet-20241022", "claude", "chat"
    )
    # The catalog knows the model's kind, whatever the caller guessed.
    assert resolve_model("flux-pro/v1.1", "x", kind="chat").kind == "image"


@given(
    name=st.text(min_size=1, max_size=40).filter(lambda s: s not in KNOWN),
    persona=st.text(min_size=1, max_size=40),
)
def test_unknown_names_pass_through_with_a_persona(name: str, persona: str) -> None:
    resolved = resolve_model(name, persona)
    assert resolved == ResolvedModel(name, persona, "chat", known=False)
    with pytest.raises(ValueError):
        resolve_model(name)
