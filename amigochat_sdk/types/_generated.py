# Generated from openapi/amigochat.yaml by scripts/generate: do not edit by hand.

from __future__ import annotations

from typing import Annotated, Any, Literal
from amigochat_sdk.types._base import APIModel
from pydantic import ConfigDict, Field, RootModel


class TextContentPart(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["text"]
    text: str


class ImageUrl(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    url: str
    """
    An https URL or a `data:image/...;base64,` URL.
    """
    detail: Literal["auto", "low", "high"] | None = None


class FunctionCallParam(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: str
    arguments: str
    """
    The arguments as a JSON string.
    """


class FunctionDefinition(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    """
    A JSON Schema object.
    """
    strict: bool | None = None


class NamedToolChoiceFunction(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: str


class ResponseFormat(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None


class StreamOptions(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    include_usage: bool | None = None
    """
    Send a final chunk with `usage` and no choices.
    """


class ImageGenerationRequest(APIModel):
    """
    The body of `POST /images/generations`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    prompt: Annotated[str, Field(min_length=1)]
    model: Annotated[str | None, Field(min_length=1)] = None
    """
    The image model, e.g. `flux-pro/v1.1`.
    """
    personaId: str | None = None
    """
    The model's persona, e.g. `flux-1-1-pro` (some clients sent `image-generator`).
    """
    chatId: str | None = None
    n: Annotated[int | None, Field(ge=1, le=10)] = None
    size: Annotated[str | None, Field(pattern="^[0-9]+x[0-9]+$")] = None
    """
    `WIDTHxHEIGHT`, e.g. `1024x1024`.
    """
    response_format: Literal["url", "b64_json"] | None = None
    quality: str | None = None
    style: str | None = None
    user: str | None = None


class FunctionCall(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str = ""
    arguments: str = ""


class ChoiceDeltaFunctionCall(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    name: str | None = None
    arguments: str | None = None


class TopLogprob(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    token: str
    logprob: float
    bytes: list[int] | None = None


class CompletionUsage(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: dict[str, Any] | None = None
    completion_tokens_details: dict[str, Any] | None = None


class Image(APIModel):
    """
    One image, as a URL or as base64 bytes.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None


class ImageUrlResponse(APIModel):
    """
    The 2025 shape of an image answer, `{"imageUrl": "..."}`.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    imageUrl: str


class ErrorObject(APIModel):
    """
    An OpenAI-style error object.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    message: str | None = None
    type: str | None = None
    param: str | None = None
    code: str | int | None = None


class OpenAIErrorBody(APIModel):
    """
    `{"error": {"message", "type", "param", "code"}}`
    """

    model_config = ConfigDict(
        extra="allow",
    )
    error: ErrorObject


class NestErrorBody(APIModel):
    """
    NestJS: `{"message", "error", "statusCode"}`; `message` may list every problem.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    message: str | list[str]
    error: str | None = None
    statusCode: int | None = None


class SimpleErrorBody(APIModel):
    """
    `{"error": "text"}`
    """

    model_config = ConfigDict(
        extra="allow",
    )
    error: str


class DetailErrorBody(APIModel):
    """
    `{"detail": ...}`
    """

    model_config = ConfigDict(
        extra="allow",
    )
    detail: str | list[dict[str, Any]]


class ErrorResponse(RootModel[OpenAIErrorBody | SimpleErrorBody | NestErrorBody | DetailErrorBody]):
    root: OpenAIErrorBody | SimpleErrorBody | NestErrorBody | DetailErrorBody
    """
    Any of the error body shapes the service has sent.
    """


class StreamErrorEvent(APIModel):
    """
    The data of an `event: error` sent mid-stream.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    error: ErrorObject | str


class ImageContentPart(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["image_url"]
    image_url: ImageUrl


class ChatCompletionMessageToolCallParam(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: str
    type: Literal["function"]
    function: FunctionCallParam


class ChatCompletionToolParam(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["function"]
    function: FunctionDefinition


class ChatCompletionNamedToolChoice(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["function"]
    function: NamedToolChoiceFunction


class ChatCompletionMessageToolCall(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: str | None = None
    type: str = "function"
    function: FunctionCall


class ChoiceDeltaToolCall(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    index: int = 0
    id: str | None = None
    type: str | None = None
    function: ChoiceDeltaFunctionCall | None = None


class TokenLogprob(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    token: str
    logprob: float
    bytes: list[int] | None = None
    top_logprobs: list[TopLogprob] | None = None


class ImagesResponse(APIModel):
    """
    Generated images (`data` holds one item per image).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    created: int | None = None
    data: list[Image]


class SystemMessageParam(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    role: Literal["system"]
    content: str | list[TextContentPart]
    """
    Text, as a string or as a list of text parts.
    """
    name: str | None = None


class DeveloperMessageParam(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    role: Literal["developer"]
    content: str | list[TextContentPart]
    """
    Text, as a string or as a list of text parts.
    """
    name: str | None = None


class AssistantMessageParam(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    role: Literal["assistant"]
    content: str | list[TextContentPart] | None = None
    name: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCallParam] | None = None


class ToolMessageParam(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    role: Literal["tool"]
    content: str | list[TextContentPart]
    """
    Text, as a string or as a list of text parts.
    """
    tool_call_id: str


class ChatCompletionMessage(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    role: Literal["system", "developer", "user", "assistant", "tool"] | str = "assistant"
    """
    The author of a message; open to values added later.
    """
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCall] | None = None
    function_call: FunctionCall | None = None


class ChoiceDelta(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    role: Literal["system", "developer", "user", "assistant", "tool"] | str | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None
    function_call: ChoiceDeltaFunctionCall | None = None


class ChoiceLogprobs(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    content: list[TokenLogprob] | None = None
    refusal: list[TokenLogprob] | None = None


class UserMessageParam(APIModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    role: Literal["user"]
    content: str | list[Annotated[TextContentPart | ImageContentPart, Field(discriminator="type")]]
    name: str | None = None


class ChatCompletionChoice(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: (
        Literal["stop", "length", "tool_calls", "content_filter", "function_call"] | str | None
    ) = None
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionChunkChoice(APIModel):
    model_config = ConfigDict(
        extra="allow",
    )
    index: int = 0
    delta: Annotated[ChoiceDelta, Field(validate_default=True)] = {}
    finish_reason: (
        Literal["stop", "length", "tool_calls", "content_filter", "function_call"] | str | None
    ) = None
    logprobs: ChoiceLogprobs | None = None
    text: str | None = None
    """
    Legacy completions-style text, which the seed read when `delta` was absent.
    """


class ChatCompletion(APIModel):
    """
    A complete answer (`object` is `chat.completion`).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: str | None = None
    object: str = "chat.completion"
    created: int | None = None
    model: str | None = None
    choices: list[ChatCompletionChoice]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None


class ChatCompletionEnvelope(APIModel):
    """
    A completion wrapped in `message`, as some AmigoChat deployments answer.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    message: ChatCompletion


class ChatCompletionChunk(APIModel):
    """
    One event of a streamed answer (`object` is `chat.completion.chunk`).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: str | None = None
    object: str = "chat.completion.chunk"
    created: int | None = None
    model: str | None = None
    choices: list[ChatCompletionChunkChoice]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    error: ErrorObject | str | None = None
    """
    Some proxies put a failure inside a chunk instead of an `error` event.
    """


class ChatCompletionRequest(APIModel):
    """
    The body of `POST /chat/completions`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    chatId: str | None = None
    """
    A conversation id (a UUID4); clients generate one per conversation.
    """
    messages: Annotated[
        list[
            Annotated[
                SystemMessageParam
                | DeveloperMessageParam
                | UserMessageParam
                | AssistantMessageParam
                | ToolMessageParam,
                Field(discriminator="role"),
            ]
        ],
        Field(min_length=1),
    ]
    """
    The conversation so far.
    """
    model: Annotated[str, Field(min_length=1)]
    """
    The model's id, e.g. `gpt-4o-mini`.
    """
    personaId: str | None = None
    """
    The service's persona for the model, e.g. `amigo` for `gpt-4o-mini`.
    """
    frequency_penalty: Annotated[float, Field(ge=-2.0, le=2.0)] = 0
    max_tokens: Annotated[int, Field(ge=1)] = 4000
    presence_penalty: Annotated[float, Field(ge=-2.0, le=2.0)] = 0
    stream: bool = False
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] = 0.5
    top_p: Annotated[float, Field(ge=0.0, le=1.0)] = 0.95
    stop: str | list[str] | None = None
    """
    Up to 4 sequences where the model stops.
    """
    n: Annotated[int | None, Field(ge=1, le=128)] = None
    """
    How many choices to generate.
    """
    seed: int | None = None
    user: str | None = None
    """
    An end-user id, for abuse monitoring.
    """
    response_format: ResponseFormat | None = None
    tools: list[ChatCompletionToolParam] | None = None
    tool_choice: Literal["none", "auto", "required"] | ChatCompletionNamedToolChoice | None = None
    """
    `none`, `auto`, `required`, or a named function.
    """
    parallel_tool_calls: bool | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int | None, Field(ge=0, le=20)] = None
    stream_options: StreamOptions | None = None
