"""
The catalog of AmigoChat models, persona ids and aliases: the one place that knows them.

Rule: the catalog helps, it never forbids. An explicit persona id always wins and lets any model
name through, because the service adds models faster than any catalog. Without one, a name is
resolved as the seed provider resolved it: **aliases first**, then model names. So `gpt-4o`, which
the seed lists both as a model (persona `summarizer`) and as an alias of `gpt-4o-2024-11-20`,
means `gpt-4o-2024-11-20` (persona `gpt`), exactly what seed users sent on the wire. With an
explicit persona id, a name that is itself a model is kept: `resolve_model("gpt-4o",
"summarizer")` sends model `gpt-4o` with persona `summarizer`, the seed's other entry.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ._exports import public

__all__ = [
    "ALIASES",
    "CHAT_MODELS",
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_MODEL",
    "IMAGE_MODELS",
    "ModelInfo",
    "ResolvedModel",
    "close_models",
    "is_image_model",
    "list_models",
    "resolve_model",
]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_IMAGE_MODEL = "flux-pro/v1.1"

#: Chat model -> persona id (the seed's final table, plus a model a 2025 client used).
CHAT_MODELS: Mapping[str, str] = {
    "gpt-4o-2024-11-20": "gpt",
    "gpt-4o": "summarizer",
    "gpt-4o-mini": "amigo",
    "o1-preview": "openai-o-one",
    "o1-preview-2024-09-12": "orion",
    "o1-mini": "openai-o-one-mini",
    "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo": "llama-three-point-one",
    "meta-llama/Llama-3.2-90B-Vision-Instruct-Turbo": "llama-3-2",
    "codellama/CodeLlama-34b-Instruct-hf": "codellama-CodeLlama-34b-Instruct-hf",
    "gemini-1.5-pro": "gemini-1-5-pro",
    "gemini-1.5-flash": "gemini-1.5-flash",
    "claude-3-5-sonnet-20240620": "claude",
    "claude-3-5-sonnet-20241022": "clude-claude-3-5-sonnet-20241022",  # sic: the service's id
    "claude-3-5-haiku-latest": "3-5-haiku",
    "Qwen/Qwen2.5-72B-Instruct-Turbo": "qwen-2-5",
    "google/gemma-2b-it": "google-gemma-2b-it",
    "google/gemma-7b": "google-gemma-7b",
    "Gryphe/MythoMax-L2-13b": "Gryphe-MythoMax-L2-13b",
    "mistralai/Mistral-7B-Instruct-v0.3": "mistralai-Mistral-7B-Instruct-v0.1",
    "mistralai/mistral-tiny": "mistralai-mistral-tiny",
    "mistralai/mistral-nemo": "mistralai-mistral-nemo",
    "deepseek-ai/deepseek-llm-67b-chat": "deepseek-ai-deepseek-llm-67b-chat",
    "databricks/dbrx-instruct": "databricks-dbrx-instruct",
    "NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO": "NousResearch-Nous-Hermes-2-Mixtral-8x7B-DPO",
    "x-ai/grok-beta": "x-ai-grok-beta",
    "anthracite-org/magnum-v4-72b": "anthracite-org-magnum-v4-72b",
    "cohere/command-r-plus": "cohere-command-r-plus",
    "ai21/jamba-1-5-mini": "ai21-jamba-1-5-mini",
    "zero-one-ai/Yi-34B": "zero-one-ai-Yi-34B",
    "gpt-4.1-2025-04-14": "amigo",
}

#: Image model -> persona id.
IMAGE_MODELS: Mapping[str, str] = {
    "flux-pro/v1.1": "flux-1-1-pro",
    "flux-realism": "flux-realism",
    "flux-pro": "flux-pro",
    "flux-pro/v1.1-ultra": "flux-pro-v1.1-ultra",
    "flux-pro/v1.1-ultra-raw": "flux-pro-v1.1-ultra-raw",
    "flux/dev": "flux-dev",
    "dall-e-3": "dalle-three",
    "recraft-v3": "recraft",
}

#: Alias -> model (the seed's `model_aliases`).
ALIASES: Mapping[str, str] = {
    "gpt-4o": "gpt-4o-2024-11-20",
    "gpt-4o-mini": "gpt-4o-mini",
    "llama-3.1-405b": "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
    "llama-3.2-90b": "meta-llama/Llama-3.2-90B-Vision-Instruct-Turbo",
    "codellama-34b": "codellama/CodeLlama-34b-Instruct-hf",
    "gemini-flash": "gemini-1.5-flash",
    "claude-3.5-sonnet": "claude-3-5-sonnet-20241022",
    "claude-3.5-haiku": "claude-3-5-haiku-latest",
    "qwen-2.5-72b": "Qwen/Qwen2.5-72B-Instruct-Turbo",
    "gemma-2b": "google/gemma-2b-it",
    "mythomax-13b": "Gryphe/MythoMax-L2-13b",
    "mixtral-7b": "mistralai/Mistral-7B-Instruct-v0.3",
    "mistral-nemo": "mistralai/mistral-nemo",
    "deepseek-chat": "deepseek-ai/deepseek-llm-67b-chat",
    "dbrx-instruct": "databricks/dbrx-instruct",
    "mixtral-8x7b-dpo": "NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO",
    "grok-beta": "x-ai/grok-beta",
    "magnum-72b": "anthracite-org/magnum-v4-72b",
    "command-r-plus": "cohere/command-r-plus",
    "jamba-mini": "ai21/jamba-1-5-mini",
    "flux-dev": "flux/dev",
}

Kind = Literal["chat", "image"]


@dataclass(frozen=True)
class ModelInfo:
    """
    One catalog entry: the model's id, what it makes, its persona id and the aliases naming it.
    """

    name: str
    kind: Kind
    persona_id: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedModel:
    """
    What to send for a name a user gave: the model id, its persona id and what it makes.
    `known` is false when an explicit persona id let an unknown name through.
    """

    model: str
    persona_id: str
    kind: Kind
    known: bool = True


def _kind_of(model: str) -> Kind | None:
    if model in IMAGE_MODELS:
        return "image"
    if model in CHAT_MODELS:
        return "chat"
    return None


def close_models(name: str) -> list[str]:
    """
    The closest known names, compared without case so `GPT-4o` still finds `gpt-4o`.
    """
    known = {n.lower(): n for n in (*ALIASES, *CHAT_MODELS, *IMAGE_MODELS)}
    close = difflib.get_close_matches(name.lower(), list(known), n=3, cutoff=0.5)
    return [known[c] for c in close]


def resolve_model(
    name: str, persona_id: str | None = None, *, kind: Kind | None = None
) -> ResolvedModel:
    """
    Resolve a model name or alias to what goes on the wire.

    An explicit `persona_id` always wins and lets any name through. Otherwise an unknown name
    raises `ValueError` naming the closest known models. `kind` is the default for a name the
    catalog does not know (the endpoint being called decides it).

    ```python
    resolve_model("gpt-4o-mini").persona_id      # "amigo"
    resolve_model("flux-pro/v1.1").persona_id    # "flux-1-1-pro"
    resolve_model("my-new-model", "new-persona") # passes through
    ```
    """
    # With an explicit persona, a name that is itself a model stays that model (`gpt-4o`).
    model = name if persona_id and _kind_of(name) else ALIASES.get(name, name)
    found = _kind_of(model)
    if found is not None:
        table = IMAGE_MODELS if found == "image" else CHAT_MODELS
        return ResolvedModel(model, persona_id or table[model], found)
    if persona_id:
        return ResolvedModel(name, persona_id, kind or "chat", known=False)
    suggestions = close_models(name)
    hint = f" Did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    raise ValueError(
        f"Unknown model {name!r}.{hint} Pass persona_id=... to use a model the catalog "
        "does not list yet (see `amigochat models`)."
    )


def is_image_model(name: str) -> bool:
    """
    Whether a model (or an alias of one) makes images.
    """
    return ALIASES.get(name, name) in IMAGE_MODELS


def list_models() -> list[ModelInfo]:
    """
    Every catalog entry, chat models first, each with the aliases that name it.
    """
    aliases: dict[str, list[str]] = {}
    for alias, target in ALIASES.items():
        if alias != target:
            aliases.setdefault(target, []).append(alias)
    tables: tuple[tuple[Kind, Mapping[str, str]], ...] = (
        ("chat", CHAT_MODELS),
        ("image", IMAGE_MODELS),
    )
    return [
        ModelInfo(model, kind, persona, tuple(aliases.get(model, ())))
        for kind, table in tables
        for model, persona in table.items()
    ]


public(globals(), __all__)
