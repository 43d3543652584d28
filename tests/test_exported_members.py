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


def test_the_lazy_table_and_the_type_checking_imports_agree() -> None:
    """
    `__all__` is derived from `_LAZY`; the `TYPE_CHECKING` imports (what type checkers see)
    must name the same modules for the same names, each re-exported as `X as X`.
    """
    import ast
    from pathlib import Path

    tree = ast.parse(Path(amigochat_sdk.__file__).read_text(encoding="utf-8"))
    (guard,) = [n for n in tree.body if isinstance(n, ast.If)]
    seen: dict[str, str] = {}
    for node in guard.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            assert alias.asname == alias.name, alias.name
            seen[alias.name] = "." * node.level + (node.module or "")
    assert seen == amigochat_sdk._LAZY
    assert amigochat_sdk.__all__ == sorted([*seen, "__version__"])
