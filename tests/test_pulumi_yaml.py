"""Stack files read as the Pulumi CLI (Go's yaml.v3) reads them: YAML 1.2 core types, no duplicate keys, bounded."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
import yaml

from blueprint.program import pulumi_yaml
from blueprint.program.errors import InputError
from tests.conftest import REPO


def parse(data: str | bytes, shown: str = "Pulumi.dev.yaml"):
    """What the loader makes of a file holding ``data`` (bytes go through the same decoding as a file's)."""
    text = pulumi_yaml.decode(data, shown) if isinstance(data, bytes) else data
    return pulumi_yaml.loads(text, shown)


def refusal(data: str | bytes) -> str:
    with pytest.raises(InputError) as caught:
        parse(data)
    return str(caught.value)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        # YAML 1.1 booleans are strings in 1.2: `namingPrefix: no` is the prefix "no", never false.
        *[(word, word) for word in ("yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF", "Y", "N")],
        *[(word, True) for word in ("true", "True", "TRUE")],
        *[(word, False) for word in ("false", "False", "FALSE")],
        *[(word, None) for word in ("null", "Null", "NULL", "~", "")],
        ("0", 0), ("-3", -3), ("+12", 12), ("007", 7), ("0o17", 15), ("0x1F", 31),
        ("1.5", 1.5), ("-.5", -0.5), ("1e3", 1000.0), ("6.02E+23", 6.02e23), ("1.", 1.0),
        (".inf", math.inf), ("-.Inf", -math.inf), ("+.INF", math.inf),
        # Dates and times stay the text written (yaml.v3 gives an untyped value the text of a timestamp).
        ("2026-12-01", "2026-12-01"), ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"),
        # YAML 1.1 forms that are strings in 1.2: sexagesimal, underscores, binary, 1.1 octal spelling.
        ("12:30", "12:30"), ("1_000", "1_000"), ("0b101", "0b101"), ("0o8", "0o8"), ("0x", "0x"),
        ("'0x10'", "0x10"), ('"true"', "true"), ("!!str 12", "12"), ("!!float 3", 3.0), ('!!int "7"', 7),
        ("! 12", "12"), ("|\n  text\n", "text\n"),
    ],
)
def test_values_follow_the_yaml_1_2_core_schema(written, value):
    assert parse(f"key: {written}\n") == {"key": value}


def test_nan_is_a_float():
    assert math.isnan(parse("key: .nan\n")["key"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("config:\n  mlplatform:location: westeurope\n  mlplatform:namingPrefix: mlp\n  mlplatform:location: northeurope\n",
         "Pulumi.dev.yaml:4: config.mlplatform:location: key 'mlplatform:location' given twice: here and at Pulumi.dev.yaml:2"),
        ("config:\n  c:\n    - name: a\n      vmSize: x\n      name: b\n",
         "Pulumi.dev.yaml:5: config.c[0].name: key 'name' given twice: here and at Pulumi.dev.yaml:3"),
        ('a: 1\n"a": 2\n', "Pulumi.dev.yaml:2: a: key 'a' given twice: here and at Pulumi.dev.yaml:1"),  # compared as written
        ("config: {a: 1, a: 2}\n", "key 'a' given twice"),
        ("a: &x [1, *x]\n", "Pulumi.dev.yaml:1: a[1]: alias *x is inside the value of its own anchor &x"),
        ("a: *nowhere\n", "Pulumi.dev.yaml:1: a: alias *nowhere refers to no anchor &nowhere before it"),
        ("a: !!python/object/apply:os.system [true]\n", "a: tag !!python/object/apply:os.system is not supported in a stack file"),
        ("a: !Ref x\n", "tag !Ref is not supported"),
        ("a: !!binary aGk=\n", "tag !!binary is not supported"),
        ("a: !!set {x, y}\n", "tag !!set is not supported"),
        ("a: !!timestamp 2026-12-01\n", "tag !!timestamp is not supported"),
        ("a: !!int twelve\n", "a: !!int 'twelve': the value is not of that type"),
        ("a: 1\n---\nb: 2\n", "Pulumi.dev.yaml:2: a second YAML document (---); a stack file holds one document"),
        ("config:\n\tmlplatform:location: westeurope\n", "Pulumi.dev.yaml:2:1: not valid YAML: found character that cannot start any token"),
        ("config:\n  a: [1, 2\n", "Pulumi.dev.yaml:3:1: not valid YAML"),
        ("~: 1\n", "Pulumi.dev.yaml:1: an empty (null) mapping key '~'"),
        ("? [a, b]\n: 1\n", "a mapping key must be a plain value, not a mapping or a list"),
        ("base: &b [1]\nc:\n  <<: *b\n", "c.<<: a merge key (<<) takes a mapping or a list of mappings"),
        ("a: \x07\n", "not valid YAML"),
        (b"config:\n  owner: caf\xe9\n", "Pulumi.dev.yaml:2:13: not valid UTF-8: byte 0xe9 at offset 20"),
        (b"\xff\xfec\x00o\x00", "Pulumi.dev.yaml: encoded as UTF-16 or UTF-32; save it as UTF-8"),
        ("a:" + " [" * 100 + " ]" * 100 + "\n", f"nested more than {pulumi_yaml.MAX_DEPTH} levels deep"),
        ("a:\n" + "".join("  " * (depth + 1) + f"k{depth}:\n" for depth in range(120)),
         f"Pulumi.dev.yaml:101: a.k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16.k17.k18.k19.k20.k...: nested more than 100 levels deep"),
    ],
    ids=["duplicate-top", "duplicate-in-list", "duplicate-quoted", "duplicate-flow", "recursive-alias", "unknown-alias",
         "python-tag", "local-tag", "binary", "set", "timestamp-tag", "int-tag-on-text", "two-documents", "tab-indent",
         "unclosed-list", "null-key", "complex-key", "merge-of-a-list", "control-character", "invalid-utf8", "utf16",
         "deep-flow", "deep-block"],
)
def test_what_pulumi_refuses_is_refused_naming_file_line_and_key(data, message):
    assert message in refusal(data)


def billion_laughs(levels: int, width: int = 9) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [4, 9, 40])
def test_alias_bombs_are_refused_without_expanding_them(levels):
    """yaml.v3's "excessive aliasing" rule, counted rather than performed: 9^40 values cost nothing to refuse."""
    text = billion_laughs(levels)
    started = time.perf_counter()
    message = refusal(text)
    assert time.perf_counter() - started < 1.0
    assert "Pulumi.dev.yaml:4: l3[3]: excessive aliasing" in message


def test_the_two_kilobyte_bomb_of_the_report_is_refused():
    text = billion_laughs(38)
    assert 1900 < len(text) < 2400
    assert "excessive aliasing" in refusal(text)


def test_moderate_aliasing_is_read_and_shared():
    data = parse(billion_laughs(3) + "use: *l2\n")
    assert data["use"] is data["l2"] and len(data["use"]) == 9 and data["use"][0][0] == ["lol"] * 9


def test_a_file_larger_than_the_limit_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "Pulumi.big.yaml"
    path.write_bytes(b"config:\n" + b"  # padding\n" * (pulumi_yaml.MAX_BYTES // 12 + 1))
    with pytest.raises(InputError, match=r"Pulumi.big.yaml: larger than 1024 KB"):
        pulumi_yaml.read_bytes(path, path.name)


def test_a_byte_order_mark_is_allowed():
    assert parse(b"\xef\xbb\xbfconfig:\n  a: no\n") == {"config": {"a": "no"}}


def test_merge_keys_apply_under_the_mappings_own_keys():
    data = parse("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 0\n")
    assert data["c"] == {"x": 0, "y": 1, "z": 2}


def test_an_empty_document_is_nothing():
    assert parse("") is None and parse("# only a comment\n") is None


def test_the_pure_python_parser_reads_alike(monkeypatch):
    """Without PyYAML's C extension the same events come from its Python parser: same values, same refusals."""
    text = "config:\n  a: no\n  b: 2026-12-01\n  c: [0x1F, ~]\n"
    expected = parse(text)
    monkeypatch.setattr(pulumi_yaml, "_PARSER", yaml.SafeLoader)
    assert parse(text) == expected == {"config": {"a": "no", "b": "2026-12-01", "c": [31, None]}}
    assert "given twice" in refusal("a: 1\na: 2\n")


SHIPPED = sorted([*REPO.glob("stacks/Pulumi.*.yaml"), REPO / "Pulumi.yaml", *REPO.glob("tests/fixtures/*/Pulumi*.yaml")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(REPO)))
def test_the_shipped_files_read_as_before(path: Path):
    """They use nothing where YAML 1.1 and 1.2 differ, so the change of reader changes no shipped plan."""
    assert pulumi_yaml.load(path, path.name) == yaml.safe_load(path.read_text(encoding="utf-8"))
