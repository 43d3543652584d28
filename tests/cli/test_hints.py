"""
Errors that say what to do next: the catalog's "did you mean", the command for the other kind
of model, and the `/v1` a base URL lacks. A wrong model is caught before anything is sent.
"""

from __future__ import annotations

import pytest

from amigochat_sdk.testing import ReferenceServer
from tests.cli.helpers import assert_clean_error, run

pytestmark = pytest.mark.e2e


def test_an_unknown_model_gets_did_you_mean(amigochat_server: ReferenceServer) -> None:
    result = run("--base-url", amigochat_server.url, "chat", "-m", "gpt4o-mini", "Hi")
    assert assert_clean_error(result, code=2) == (
        "error: unknown model 'gpt4o-mini'. Did you mean gpt-4o-mini or o1-mini or gpt-4o? "
        "`amigochat models` lists the models; --persona-id ID sends an unlisted one anyway"
    )
    assert len(amigochat_server.requests) == 0


def test_a_name_nothing_like_the_catalog_points_to_models() -> None:
    result = run("image", "-m", "zzzz", "A cat")
    assert assert_clean_error(result, code=2) == (
        "error: unknown model 'zzzz'. `amigochat models` lists the models; "
        "--persona-id ID sends an unlisted one anyway"
    )


def test_a_persona_id_lets_an_unlisted_model_through(amigochat_server: ReferenceServer) -> None:
    args = ("--base-url", amigochat_server.url, "chat", "-m", "brand-new", "--persona-id", "p")
    result = run(*args, "Hi")
    # Sent as given; the reference server knows only the catalog, so it is the one refusing.
    assert amigochat_server.requests.last.json["model"] == "brand-new"
    assert (
        assert_clean_error(result)
        == "error: Error code: 404 - The model `brand-new` does not exist"
    )


def test_a_chat_model_given_to_image_names_the_chat_command() -> None:
    result = run("image", "-m", "gpt-4o-mini", "A cat")
    assert assert_clean_error(result, code=2) == (
        "error: gpt-4o-mini is a chat model: use `amigochat chat -m gpt-4o-mini PROMPT` "
        "(`amigochat models --kind image` lists the image models)"
    )


def test_an_image_model_given_to_chat_names_the_image_command() -> None:
    result = run("chat", "-m", "dall-e-3", "Hi")
    assert assert_clean_error(result, code=2) == (
        "error: dall-e-3 makes images: use `amigochat image -m dall-e-3 PROMPT` "
        "(`amigochat models --kind chat` lists the chat models)"
    )


@pytest.mark.parametrize("command", [["chat", "Hi"], ["image", "A cat"]])
def test_a_404_from_a_base_url_without_v1_hints_at_it(
    amigochat_server: ReferenceServer, command: list[str]
) -> None:
    result = run("--base-url", amigochat_server.origin, "--max-retries", "0", *command)
    line = assert_clean_error(result)
    assert line.endswith(f"(the base URL has no /v1: try --base-url {amigochat_server.url})")


def test_a_404_under_v1_gets_no_such_hint(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("status=404;message=Gone")
    result = run("--base-url", amigochat_server.url, "--max-retries", "0", "chat", "Hi")
    assert assert_clean_error(result) == "error: Error code: 404 - Gone"
