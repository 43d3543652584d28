"""
`amigochat chat`, driven as a user drives it, against the reference server.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from typing import Any

import pytest

from amigochat_sdk._cli import main
from amigochat_sdk.testing import ReferenceServer, serve
from tests.cli.helpers import REPLY, SCRIPT, Terminal, assert_clean_error, run, spawn

pytestmark = pytest.mark.e2e


def test_chat_prints_the_reply(amigochat_server: ReferenceServer) -> None:
    result = run("--base-url", amigochat_server.url, "chat", "Hello there", via=SCRIPT)

    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY.format("Hello there", 1) + "\n"
    assert result.stderr == ""
    body = amigochat_server.requests.last.json
    assert body["stream"] is True
    assert (body["model"], body["personaId"]) == ("gpt-4o-mini", "amigo")


def test_the_reply_arrives_piece_by_piece(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("stall-after=2:1")  # the role chunk and "You ", then a pause
    proc = spawn("--base-url", amigochat_server.url, "chat", "Hello there")
    try:
        assert proc.stdout is not None
        first = os.read(proc.stdout.fileno(), 1024)
        still_running = proc.poll() is None
        rest, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert still_running
    assert first == b"You "
    assert first + rest == (REPLY.format("Hello there", 1) + "\n").encode()
    assert proc.returncode == 0, err


def test_options_reach_the_request(amigochat_server: ReferenceServer) -> None:
    result = run(
        *("--base-url", amigochat_server.url, "chat", "Hi", "--model", "claude-3.5-sonnet"),
        *("--system", "Be brief.", "--temperature", "0.2", "--max-tokens", "50"),
        *("--top-p", "0.5", "--frequency-penalty", "0.1", "--presence-penalty", "0.3"),
        *("--seed", "7", "--stop", "zzz", "--persona-id", "claude"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY.format("Hi", 2) + "\n"
    body = amigochat_server.requests.last.json
    assert body["model"] == "claude-3-5-sonnet-20241022"
    assert body["personaId"] == "claude"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    wanted: dict[str, Any] = {
        "temperature": 0.2,
        "max_tokens": 50,
        "top_p": 0.5,
        "frequency_penalty": 0.1,
    }
    wanted |= {"presence_penalty": 0.3, "seed": 7, "stop": ["zzz"]}
    assert {k: body[k] for k in wanted} == wanted


def test_json_prints_each_chunk_as_a_json_line(amigochat_server: ReferenceServer) -> None:
    result = run("--base-url", amigochat_server.url, "chat", "--json", "Hello")

    assert result.returncode == 0, result.stderr
    chunks = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(chunks) > 3
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == REPLY.format("Hello", 1)
    assert "usage" not in chunks[0]  # exclude_none: no nulls on the line


def test_no_stream(amigochat_server: ReferenceServer) -> None:
    plain = run("--base-url", amigochat_server.url, "chat", "--no-stream", "Hello")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == REPLY.format("Hello", 1) + "\n"
    assert amigochat_server.requests.last.json["stream"] is False

    as_json = run("--base-url", amigochat_server.url, "chat", "--no-stream", "--json", "Hello")
    assert as_json.returncode == 0, as_json.stderr
    [line] = as_json.stdout.splitlines()
    completion = json.loads(line)
    assert completion["object"] == "chat.completion"
    assert completion["choices"][0]["message"]["content"] == REPLY.format("Hello", 1)


@pytest.mark.parametrize("args", [["-"], []], ids=["dash", "no-prompt"])
def test_prompt_from_stdin(amigochat_server: ReferenceServer, args: list[str]) -> None:
    result = run("--base-url", amigochat_server.url, "chat", *args, stdin="From a pipe\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY.format("From a pipe", 1) + "\n"


def test_environment_configures_the_client() -> None:
    with serve(api_key="sk-test-123") as server:
        ok = run(
            "chat",
            "Hi",
            extra_env={"AMIGOCHAT_BASE_URL": server.url, "AMIGOCHAT_API_KEY": "sk-test-123"},
        )
        assert ok.returncode == 0, ok.stderr
        assert server.requests.last.headers["authorization"] == "Bearer sk-test-123"

        flag = run("--base-url", server.url, "--api-key", "sk-test-123", "chat", "Hi")
        assert flag.returncode == 0, flag.stderr

        refused = run("--base-url", server.url, "chat", "Hi")
        line = assert_clean_error(refused)
        assert "401" in line
        assert "sk-test" not in refused.stderr


def test_api_error_is_one_line(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("status=500;message=The model is asleep", times=3)
    result = run("--base-url", amigochat_server.url, "--max-retries", "0", "chat", "Hi")

    line = assert_clean_error(result)
    assert "500" in line and "The model is asleep" in line
    assert result.stdout == ""


def test_retries_are_invisible(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("status=503;retry-after=0", times=1)
    result = run("chat", "--base-url", amigochat_server.url, "Hi")  # global options go anywhere

    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY.format("Hi", 1) + "\n"
    assert len(amigochat_server.requests) == 2


def test_error_mid_stream_keeps_the_text(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("error-event-after=3;message=upstream fell over")
    result = run("--base-url", amigochat_server.url, "chat", "Hello there")

    line = assert_clean_error(result)
    assert "upstream fell over" in line
    assert result.stdout == "You said\n"  # what arrived, then the line is ended


def test_connection_refused() -> None:
    result = run("--base-url", "http://127.0.0.1:9/v1", "--max-retries", "0", "chat", "Hi")
    assert "Connection error" in assert_clean_error(result)


def test_debug_shows_the_traceback(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("status=500", times=3)
    result = run("--base-url", amigochat_server.url, "--max-retries", "0", "--debug", "chat", "X")

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "POST" in result.stderr  # the SDK's DEBUG log
    assert result.stderr.splitlines()[-1].startswith("error: Error code: 500")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chat", "--temperature", "hot", "Hi"], "invalid float value"),
        (["chat", "-"], "the prompt is empty"),
        (["chat", "--temperature", "9", "Hi"], "temperature"),
        (["--local", "--base-url", "http://x/v1", "chat", "Hi"], "exclude each other"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In-process: these are argument checks, made before anything is sent. The subprocess
    # test below shows the same path end to end.
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("error: ") and message in line


def test_usage_error_in_a_process() -> None:
    result = run("chat", "--bogus", "Hi")
    assert "unrecognized arguments: --bogus" in assert_clean_error(result, code=2)


def test_ctrl_c_mid_stream_exits_130(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("stall-after=2:20")
    proc = spawn("--base-url", amigochat_server.url, "chat", "Hello there")
    try:
        assert proc.stdout is not None
        assert os.read(proc.stdout.fileno(), 1024) == b"You "
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert time.monotonic() - started < 15  # the stall lasts 20 s: it did not wait it out
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    assert out == b"\n"  # the partial line is ended, nothing else


def test_broken_pipe_exits_quietly(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("stall-after=3:0.5")
    # `with` closes stderr as well, which `kill` alone leaves open.
    with spawn("--base-url", amigochat_server.url, "chat", "--json", "Hello there") as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.readline()  # `| head -1`
            proc.stdout.close()
            proc.wait(timeout=20)
            err = proc.stderr.read()
        finally:
            proc.kill()
    assert err == b""
    assert proc.returncode == 141


def test_local_needs_no_server() -> None:
    result = run("--local", "chat", "Offline")
    assert result.returncode == 0, result.stderr
    assert result.stdout == REPLY.format("Offline", 1) + "\n"


def test_interactive_two_turns_keep_the_history() -> None:
    terminal = Terminal("--local", "chat", "--system", "Be brief.")
    try:
        terminal.expect("/help lists the commands")
        terminal.expect("> ")
        terminal.send("Hello\n")
        terminal.expect(REPLY.format("Hello", 2))  # system + user
        terminal.expect("> ")
        terminal.send("And again\n")
        terminal.expect(REPLY.format("And again", 4))  # + assistant + user
        terminal.expect("> ")
        terminal.send("/exit\n")
        assert terminal.wait() == 0
    finally:
        terminal.close()


def test_interactive_ends_on_eof_and_survives_errors(amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("status=400;message=Nope")
    terminal = Terminal("--base-url", amigochat_server.url, "chat")
    try:
        terminal.expect("> ")
        terminal.send("First\n")
        terminal.expect("error: Error code: 400 - Nope")
        terminal.expect("> ")
        terminal.send("Second\n")
        terminal.expect(REPLY.format("Second", 1))  # the failed turn is not in the history
        terminal.expect("> ")
        terminal.send("\x04")  # Ctrl-D
        assert terminal.wait() == 0
    finally:
        terminal.close()
    assert b"Traceback" not in terminal.seen


def test_interactive_ctrl_c_stops_the_reply_and_keeps_the_conversation(
    amigochat_server: ReferenceServer,
) -> None:
    amigochat_server.faults.push("stall-after=2:20")  # the first reply stops after two chunks
    terminal = Terminal("--base-url", amigochat_server.url, "chat")
    try:
        terminal.expect("> ")
        terminal.send("Hello\n")
        terminal.expect("You ")  # the reply has started, and then stalls
        started = time.monotonic()
        terminal.send("\x03")  # Ctrl-C, typed
        terminal.expect("(stopped)")
        terminal.expect("> ")
        assert time.monotonic() - started < 15  # the stall lasts 20 s: it did not wait it out
        terminal.send("Again\n")
        # user, the partial assistant reply, user: the stopped turn is kept as far as it went
        terminal.expect(REPLY.format("Again", 3))
        terminal.expect("> ")
        assert terminal.proc.poll() is None  # still chatting
        terminal.interrupt_at_prompt()  # Ctrl-C at an empty prompt leaves
        assert terminal.wait() == 0
    finally:
        terminal.close()
    sent = amigochat_server.requests.last.json["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"].startswith("You ")
    assert terminal.seen.endswith(b"\r\n")  # it left on a fresh line
    assert b"Traceback" not in terminal.seen and b"KeyboardInterrupt" not in terminal.seen


def test_interactive_ctrl_d_at_the_prompt_leaves_on_a_new_line() -> None:
    terminal = Terminal("--local", "chat")
    try:
        terminal.expect("> ")
        terminal.send("\x04")
        assert terminal.wait() == 0
    finally:
        terminal.close()
    assert terminal.seen == b"\r\n"


def test_slash_commands_are_never_sent(amigochat_server: ReferenceServer) -> None:
    terminal = Terminal("--base-url", amigochat_server.url, "chat", "--system", "Be brief.")
    try:
        terminal.expect("/help lists the commands")
        terminal.expect("> ")
        terminal.send("/help\n")
        for command in ("/help", "/reset", "/exit, /quit", "//text"):
            terminal.expect(command)
        terminal.expect("> ")
        terminal.send("/bogus now\n")
        terminal.expect("unknown command /bogus; /help lists them")
        terminal.expect("> ")
        terminal.send("Hi\n")
        terminal.expect(REPLY.format("Hi", 2))
        terminal.expect("> ")
        terminal.send("/reset\n")
        terminal.expect("The conversation is forgotten.")
        terminal.expect("> ")
        terminal.send("//etc is a folder\n")
        terminal.expect(REPLY.format("/etc is a folder", 2))  # system + this one
        terminal.expect("> ")
        terminal.send("/quit\n")
        assert terminal.wait() == 0
    finally:
        terminal.close()
    sent = [r.json["messages"][-1]["content"] for r in amigochat_server.requests]
    assert sent == ["Hi", "/etc is a folder"]
