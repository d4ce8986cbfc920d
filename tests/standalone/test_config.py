"""The standalone config loader: `_base_` merging, `_delete_`, dotted overrides, dump round trip, clear errors."""

import pytest

from pointcept_csp.standalone.config import Config, merge_into
from pointcept_csp.utils.options import parse_option_value, parse_options


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_base_merge_delete_and_dump_roundtrip(tmp_path):
    write(tmp_path, "base.py", "a = 1\nmodel = dict(type='X', depth=2, opts=dict(p=1, q=2))\nlst = [1, 2]\n")
    child = write(tmp_path, "child.py", "_base_ = 'base.py'\nmodel = dict(depth=3, opts=dict(_delete_=True, r=5))\n")
    cfg = Config.fromfile(child)
    assert cfg.a == 1 and cfg.model.type == "X" and cfg.model.depth == 3
    assert dict(cfg.model.opts) == {"r": 5}
    cfg.merge_from_dict({"model.depth": 4, "lst.1": 9, "new.key": "v"})
    assert cfg.model.depth == 4 and cfg.lst == [1, 9] and cfg.new.key == "v"
    dumped = str(tmp_path / "dumped.py")
    cfg.dump(dumped)
    again = Config.fromfile(dumped)
    assert again.to_dict() == cfg.to_dict()


def test_missing_key_and_file_errors(tmp_path):
    cfg = Config.fromfile(write(tmp_path, "c.py", "a = 1\n"))
    with pytest.raises(AttributeError, match="config has no key 'b'"):
        cfg.b  # noqa: B018
    with pytest.raises(FileNotFoundError, match="config file not found"):
        Config.fromfile(str(tmp_path / "nope.py"))


def test_overlapping_bases_are_rejected(tmp_path):
    write(tmp_path, "b1.py", "a = 1\n")
    write(tmp_path, "b2.py", "a = 2\n")
    with pytest.raises(KeyError, match=r"same keys \['a'\]"):
        Config.fromfile(write(tmp_path, "c.py", "_base_ = ['b1.py', 'b2.py']\n"))


def test_option_values_parse_like_pointcept():
    assert parse_option_value("true") is True and parse_option_value("None") is None
    assert parse_option_value("3") == 3 and parse_option_value("[1, 2]") == [1, 2]
    assert parse_option_value("exp/a-b") == "exp/a-b"
    assert parse_options(["a.b=1", "c=x=y"]) == {"a.b": 1, "c": "x=y"}
    with pytest.raises(ValueError, match=r"key=value pairs, got \['seed'\]"):
        parse_options(["a=1", "seed"])


def test_merge_into_keeps_base_untouched():
    base = {"m": {"a": 1}}
    merged = merge_into({"m": {"b": 2}}, base)
    assert merged == {"m": {"a": 1, "b": 2}} and base == {"m": {"a": 1}}
