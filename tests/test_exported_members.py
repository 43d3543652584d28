"""The public surface: `__all__` lists every public name, and each one resolves."""

import amigochat_sdk
import amigochat_sdk.types


def test_all_lists_the_public_names_sorted_and_resolvable() -> None:
    names = amigochat_sdk.__all__
    assert sorted(names, key=str.lower) == sorted(set(names), key=str.lower)
    for name in names:
        assert getattr(amigochat_sdk, name) is not None
    assert set(names) <= set(dir(amigochat_sdk))


def test_public_classes_show_the_package_module() -> None:
    for name in amigochat_sdk.__all__:
        value = getattr(amigochat_sdk, name)
        if isinstance(value, type):
            assert value.__module__ == "amigochat_sdk", name


def test_types_exports_every_name() -> None:
    for name in amigochat_sdk.types.__all__:
        assert getattr(amigochat_sdk.types, name) is not None


def test_unknown_names_raise_attribute_error() -> None:
    try:
        amigochat_sdk.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
