from __future__ import annotations

from bikenode.web.problems import describe_validation_errors


def test_validation_errors_never_echo_the_input() -> None:
    raw = [
        {
            "loc": ("body", "password"),
            "msg": "too long",
            "type": "string_too_long",
            "input": "hunter2" * 100,
        }
    ]
    described = describe_validation_errors(raw)
    assert described == [{"field": "password", "message": "too long", "type": "string_too_long"}]
    assert "hunter2" not in repr(described)
