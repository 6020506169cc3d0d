"""The loaded rulebook is one cached object shared by every caller: read-only all the
way down, with `to_dict()` a plain copy for the callers that serialise or edit it."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import pickle
from collections.abc import Mapping

import pytest
import yaml

from paos import load_rulebook
from paos.base.derive import new_rulebook
from paos.base.rulebook import RULEBOOK_DIR, Rulebook

V1_FILE = RULEBOOK_DIR / "paos-v1.yaml"

# Every way a caller could try to change the cached rulebook in place.
MUTATIONS = {
    "a top-level key": lambda rb: rb.raw.__setitem__("title", "Other"),
    "a key removed": lambda rb: rb.raw.pop("title"),
    "a nested value": lambda rb: rb["dimensions"][0].__setitem__("weight", 9),
    "a signal's text": lambda rb: rb["dimensions"][0]["signals"][0].__setitem__("name", "x"),
    "a list appended": lambda rb: rb["severity"].append({"name": "x", "min_shortfall": 0}),
    "a list item replaced": lambda rb: rb["company_stages"].__setitem__(0, "x"),
    "a band's threshold": lambda rb: rb["severity"][0].__setitem__("min_shortfall", 0),
    "a map's entry": lambda rb: rb["tiers"].__setitem__(9, "x"),
    "a role list": lambda rb: rb["perspectives"]["operational"]["roles"].append("x"),
    "a rubric line": lambda rb: rb.signals[0].rubric.__setitem__(1, "x"),
    "the role map": lambda rb: rb.role_perspectives.__setitem__("x", "strategic"),
    "a perspective weight": lambda rb: rb.perspective_weights.__setitem__("partner", 9.0),
    "the people perspectives": lambda rb: rb.people_perspectives.append("x"),
    "the id": lambda rb: setattr(rb, "id", "other"),
    "the raw data": lambda rb: setattr(rb, "raw", {}),
    "a signal's threshold": lambda rb: setattr(rb.signals[0], "threshold", 0.0),
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=list(MUTATIONS))
def test_a_caller_cannot_change_the_cached_rulebook(mutate):
    rb = load_rulebook("paos-v1")
    before = rb.to_dict()
    with pytest.raises((TypeError, AttributeError, dataclasses.FrozenInstanceError)):
        mutate(rb)
    assert load_rulebook("paos-v1") is rb  # the cache hands out one object ...
    assert rb.to_dict() == before  # ... which nobody changed


def _mutable_parts(value, where="rulebook"):
    """Every list, dict or set reachable from `value` (a loaded rulebook's data)."""
    if isinstance(value, (list, dict, set, bytearray)):
        yield where
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _mutable_parts(v, f"{where}[{k!r}]")
    elif isinstance(value, tuple):
        for i, v in enumerate(value):
            yield from _mutable_parts(v, f"{where}[{i}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _mutable_parts(getattr(value, f.name), f"{where}.{f.name}")


def test_nothing_the_cache_hands_out_is_mutable():
    rb = load_rulebook("paos-v1")
    parts = {
        "raw": rb.raw,
        "dimensions": rb.dimensions,
        "signals": rb.signals,
        "metrics": rb.metrics,
        "role_perspectives": rb.role_perspectives,
        "perspective_weights": rb.perspective_weights,
        "people_perspectives": rb.people_perspectives,
        "metric_perspective": rb.metric_perspective,
    }
    assert [p for name, v in parts.items() for p in _mutable_parts(v, name)] == []


def test_two_callers_never_share_mutable_state():
    one, two = load_rulebook("paos-v1"), load_rulebook("paos-v1")
    a, b = one.to_dict(), two.to_dict()
    assert a == b and a is not b
    a["dimensions"][0]["signals"][0]["name"] = "changed by one caller"
    a["severity"].append({"name": "x", "min_shortfall": 0})
    a["perspectives"]["operational"]["roles"].clear()
    assert b == one.to_dict() == two.to_dict() == yaml.safe_load(V1_FILE.read_text("utf-8"))
    assert two["dimensions"][0]["signals"][0]["name"] != "changed by one caller"


def test_to_dict_is_the_parsed_file_in_plain_types():
    """What JSON and YAML writers get: the file's data, key order kept, dicts and lists."""
    data = load_rulebook("paos-v1").to_dict()
    parsed = yaml.safe_load(V1_FILE.read_text("utf-8"))
    assert data == parsed
    assert yaml.safe_dump(data, sort_keys=False) == yaml.safe_dump(parsed, sort_keys=False)
    assert list(_mutable_parts(load_rulebook("paos-v1").raw)) == []
    assert type(data) is dict and type(data["dimensions"]) is list


def test_a_copy_for_a_worker_is_read_only_and_equal():
    rb = load_rulebook("paos-v1")
    for other in (pickle.loads(pickle.dumps(rb)), copy.deepcopy(rb), copy.copy(rb)):
        assert isinstance(other, Rulebook)
        assert (other.id, other.path, other.sha256) == (rb.id, rb.path, rb.sha256)
        assert other.to_dict() == rb.to_dict() and other.signals == rb.signals
        with pytest.raises(TypeError):
            other.raw["title"] = "x"  # type: ignore[index]


def test_the_bundled_rulebook_keeps_its_bytes():
    """A bundled id names that file's exact bytes (docs/trust.md): results, stored
    runs and deliverables recorded under this sha256 stay comparable. A change to the
    file is a change of methodology identity, made on purpose (the last: `view_labels`,
    issue 17; runs stored under the earlier sha are peers again once `paos batch`
    reruns them), never by accident."""
    assert (
        hashlib.sha256(V1_FILE.read_bytes()).hexdigest()
        == "928140664cb413a54f0b2691ce0afdc79ab71ce3af15f3666ade287a18466adf"
    )
    assert load_rulebook("paos-v1").sha256 == hashlib.sha256(V1_FILE.read_bytes()).hexdigest()


def test_a_derived_rulebook_keeps_the_parents_text(tmp_path):
    made = new_rulebook("acme-v1", "paos-v1", tmp_path).read_text("utf-8")
    parent = V1_FILE.read_text("utf-8")
    body = parent[parent.index("\nid:") :].replace(
        "\nid: paos-v1\n",
        "\nid: acme-v1\nparent: {id: paos-v1, sha256: " + load_rulebook("paos-v1").sha256 + "}\n",
    )
    assert made.endswith(body)  # the text, comments kept: not a re-dump of the data
    assert load_rulebook(tmp_path / "acme-v1.yaml").to_dict() == {
        **yaml.safe_load(parent),
        "id": "acme-v1",
        "parent": {"id": "paos-v1", "sha256": load_rulebook("paos-v1").sha256},
    }
