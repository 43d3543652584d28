"""Tests of the OpenTelemetry instrumentor, `amigochat_sdk.otel`."""
