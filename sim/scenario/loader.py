"""YAML -> Scenario: the one door scenarios come in by.

Reads with a safe loader, keeps the file and line of every value (through ``extends:`` too), rejects
unknown keys with the nearest valid one, and reports every problem as
``FILE:LINE: dotted.path: message`` in a :class:`ScenarioError`.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.rules import RULES, groups
from sim.scenario.schema import AGENT_PARAMS, Country, PartnerParams, Scenario

Path_ = tuple[str | int, ...]
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """Everything wrong with an input file, one :class:`Problem` per line of the message."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# ------------------------------------------------------------------------------------------ YAML
class _LineLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _read_yaml(file: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse ``file``; return the data and the line (1-based) of every value, by path."""
    display = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(display, 0, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(display, 0, "", f"cannot read: {exc}")]) from None
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ScenarioError([Problem(display, line, "", f"YAML syntax error: {exc.problem}")]) from None
    except yaml.YAMLError as exc:  # e.g. a control character the YAML reader refuses
        line = text.count("\n", 0, getattr(exc, "position", 0)) + 1
        raise ScenarioError([Problem(display, line, "", f"YAML error: {exc}".splitlines()[0])]) from None
    if node is None:
        raise ScenarioError([Problem(display, 1, "", "the file is empty")])
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    data = _to_python(node, (), lines, problems, display)
    if problems:
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        line = node.start_mark.line + 1
        raise ScenarioError([Problem(display, line, "", "the top level must be a mapping")])
    return data, lines


def _to_python(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem],
               display: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for k_node, v_node in node.value:
            key = _scalar(k_node)
            if key in out:
                problems.append(Problem(display, k_node.start_mark.line + 1, _dotted(path + (key,)),
                                        "duplicate key"))
            out[key] = _to_python(v_node, path + (key,), lines, problems, display)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, path + (i,), lines, problems, display) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = _LineLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ------------------------------------------------------------------------------------------ extends
@dataclass
class Located:
    """Raw scenario data plus, for every path, the file and line it came from."""

    data: dict[str, Any]
    where: dict[Path_, tuple[str, int]]

    def problem(self, path: Path_, message: str) -> Problem:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.where:
                file, line = self.where[path[:cut]]
                return Problem(file, line, _dotted(path), message)
        return Problem("?", 0, _dotted(path), message)


def resolve_path(ref: str, relative_to: Path | None = None) -> Path:
    """A scenario reference: a path, or the name of a bundled scenario (``historical_2013_2024``)."""
    candidates = [Path(ref)]
    if relative_to is not None:
        candidates.insert(0, relative_to / ref)
    for base in ([relative_to] if relative_to else []) + [BUNDLED_DIR]:
        candidates.append(base / f"{ref}.yaml")
    for c in candidates:
        if c.is_file():
            return c
    return candidates[0]


def _load_located(file: Path, chain: tuple[Path, ...] = ()) -> Located:
    data, lines = _read_yaml(file)
    display = str(file)
    where = {path: (display, line) for path, line in lines.items()}
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return Located(data, where)
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem(display, lines[("extends",)], "extends",
                                     "must be a scenario name or path")])
    parent_file = resolve_path(parent_ref, file.parent).resolve()
    if parent_file in chain or parent_file == file.resolve():
        cycle = " -> ".join(p.name for p in (*chain, file.resolve(), parent_file))
        raise ScenarioError([Problem(display, lines[("extends",)], "extends", f"cycle in extends: {cycle}")])
    if not parent_file.is_file():
        raise ScenarioError([Problem(display, lines[("extends",)], "extends",
                                     f"no scenario {parent_ref!r} "
                                     f"(looked beside the file and in {BUNDLED_DIR})")])
    parent = _load_located(parent_file, (*chain, file.resolve()))
    return _merge(parent, Located(data, where))


def _merge(base: Located, child: Located) -> Located:
    """Child overrides base: mappings merge key by key, anything else (lists too) is replaced."""
    data = copy.deepcopy(base.data)
    where = dict(base.where)

    def walk(dst: dict, src: dict, path: Path_) -> None:
        for key, value in src.items():
            p = path + (key,)
            if isinstance(value, dict) and isinstance(dst.get(key), dict):
                walk(dst[key], value, p)
            else:
                dst[key] = copy.deepcopy(value)
                for k in [k for k in where if k[:len(p)] == p]:
                    del where[k]
            for k, v in child.where.items():
                if k[:len(p)] == p and (not isinstance(value, dict) or k == p):
                    where[k] = v

    walk(data, child.data, ())
    where[()] = child.where.get((), where.get((), ("?", 0)))
    return Located(data, where)


# ------------------------------------------------------------------------------------------ validation
def _pydantic_problems(located: Located, prefix: Path_, exc: ValidationError,
                       model: type[BaseModel]) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key{_suggest(str(loc[-1]), _fields_at(model, tuple(err['loc'])[:-1]))}"
        elif err["type"] == "missing":
            msg = "required key missing"
        elif err["type"] == "enum":
            choices = re.findall(r"'([^']*)'", err.get("ctx", {}).get("expected", ""))
            msg = f"not one of {', '.join(choices)} (got {err['input']!r})"
            close = difflib.get_close_matches(str(err["input"]), choices, n=1, cutoff=0.6)
            msg += f"; did you mean {close[0]!r}?" if close else ""
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            msg = f"{msg} (got {err['input']!r})"
        out.append(located.problem(loc, msg))
    return out


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    for part in loc:
        field = model.model_fields.get(str(part)) if isinstance(part, str) else None
        ann = getattr(field, "annotation", None)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            break
    return list(model.model_fields)


def _suggest(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f" (valid keys: {', '.join(sorted(valid))})"


def _validate_agents(located: Located, problems: list[Problem]) -> dict[str, Any]:
    raw = located.data.get("agents") or {}
    if not isinstance(raw, dict):
        problems.append(located.problem(("agents",), "must be a mapping of agent name to parameters"))
        return {}
    agents: dict[str, Any] = {}
    for name in [c.value for c in Country] + [k for k in raw if k not in AGENT_PARAMS]:
        values = raw.get(name) or {}
        if not isinstance(name, str) or not name.isidentifier():
            problems.append(located.problem(("agents", name), "agent names must be lowercase identifiers"))
            continue
        if not isinstance(values, dict):
            problems.append(located.problem(("agents", name), "must be a mapping of parameters"))
            continue
        model = AGENT_PARAMS.get(name)
        if model is None and values.get("type") != "partner":
            hint = _suggest(name, list(AGENT_PARAMS))
            problems.append(located.problem(("agents", name), f"unknown agent{hint}; "
                                            "to add a partner state, give it `type: partner`"))
            continue
        model = model or PartnerParams
        try:
            agents[name] = model.model_validate(values)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(located, ("agents", name), exc, model))
    return agents


def _validate_rules(located: Located, problems: list[Problem]) -> dict[str, Any]:
    raw = located.data.get("rules") or {}
    if not isinstance(raw, dict):
        problems.append(located.problem(("rules",), "must be a mapping of rule id to parameters"))
        return {}
    settings: dict[str, dict] = {rid: {} for rid in RULES}
    where: dict[str, Path_] = {}
    for key, value in raw.items():
        if key in groups():
            if not isinstance(value, dict):
                problems.append(located.problem(("rules", key), "must map each member rule to on/off"))
                continue
            for member, on in value.items():
                if member not in groups()[key]:
                    hint = _suggest(str(member), groups()[key])
                    problems.append(located.problem(("rules", key, member), f"not a member of {key}{hint}"))
                elif not isinstance(on, bool):
                    problems.append(located.problem(("rules", key, member),
                                                    f"must be on or off (got {on!r})"))
                else:
                    settings[member]["enabled"] = on
                    where[member] = ("rules", key, member)
        elif key in RULES:
            if isinstance(value, bool):
                value = {"enabled": value}
            if not isinstance(value, dict):
                problems.append(located.problem(("rules", key), "must be a mapping of parameters or on/off"))
                continue
            settings[key].update(value)
            where[key] = ("rules", key)
        else:
            hint = _suggest(str(key), list(RULES) + list(groups()))
            problems.append(located.problem(("rules", key), f"unknown rule{hint}"))
    rules: dict[str, Any] = {}
    for rid, values in settings.items():
        model = RULES[rid].Params
        try:
            rules[rid] = model.model_validate(values)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(located, where.get(rid, ("rules", rid)), exc, model))
    return rules


def build_scenario(located: Located, source_file: str | None = None) -> Scenario:
    """Validate merged raw data into a frozen :class:`Scenario`, or raise :class:`ScenarioError`."""
    problems: list[Problem] = []
    agents = _validate_agents(located, problems)
    rules = _validate_rules(located, problems)
    data = {k: v for k, v in located.data.items() if k not in ("agents", "rules")}
    scenario = None
    try:
        scenario = Scenario.model_validate({**data, "agents": agents, "rules": rules,
                                            "source_file": source_file})
    except ValidationError as exc:
        problems.extend(_pydantic_problems(located, (), exc, Scenario))
    if scenario is not None:
        problems.extend(_check_events(scenario, located))
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.file, p.line)))
    assert scenario is not None
    return scenario


def _check_events(scenario: Scenario, located: Located) -> list[Problem]:
    out = []
    declared = located.data.get("agents")
    names = set(scenario.agents) | (set(declared) if isinstance(declared, dict) else set())
    for i, e in enumerate(scenario.events):
        if not scenario.start <= e.date <= scenario.end:
            out.append(located.problem(("events", i, "date"),
                                       f"{e.date} is outside the run ({scenario.start} to {scenario.end})"))
        for role in ("actor", "target"):
            who = getattr(e, role)
            if who is not None and who not in names:
                hint = _suggest(who, sorted(names))
                out.append(located.problem(("events", i, role), f"unknown agent {who!r}{hint}"))
    for kind, spec in scenario.random_events.items():
        if spec.actor is not None and spec.actor not in names:
            out.append(located.problem(("random_events", kind.value, "actor"),
                                       f"unknown agent {spec.actor!r}"))
    return out


# ------------------------------------------------------------------------------------------ public
def load_located(path: str | Path) -> Located:
    return _load_located(resolve_path(str(path)))


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario from a YAML file or a bundled name; raise :class:`ScenarioError` if invalid."""
    file = resolve_path(str(path))
    return build_scenario(_load_located(file), source_file=str(file))


def with_overrides(scenario_or_path: Scenario | str | Path, overrides: dict[str, Any]) -> Scenario:
    """A new scenario with values replaced by dotted path (``agents.china.assertiveness``).

    A path that names no scenario value raises :class:`ScenarioError` before anything runs.
    """
    if isinstance(scenario_or_path, Scenario):
        base = scenario_or_path
        located = Located(_scenario_to_raw(base), {(): (base.source_file or "<scenario>", 0)})
    else:
        file = resolve_path(str(scenario_or_path))
        located = _load_located(file)
        base = build_scenario(located, str(file))
        located = Located(_scenario_to_raw(base), located.where)
    problems = []
    for dotted, value in overrides.items():
        node, parts = located.data, dotted.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or parts[-1] not in node:
            problems.append(Problem("<overrides>", 0, dotted, "names no value of the scenario"))
            continue
        node[parts[-1]] = value
    if problems:
        raise ScenarioError(problems)
    return build_scenario(located, base.source_file)


def _scenario_to_raw(scenario: Scenario) -> dict[str, Any]:
    raw = scenario.model_dump(mode="json", exclude={"source_file"})
    raw["agents"] = {k: v.model_dump(mode="json", exclude_none=True) for k, v in scenario.agents.items()}
    raw["rules"] = {k: v.model_dump(mode="json") for k, v in scenario.rules.items()}
    return raw


def content_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (everything that affects a run, not where it came from)."""
    canonical = json.dumps(_scenario_to_raw(scenario), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def bundled_scenarios() -> list[Path]:
    return sorted(BUNDLED_DIR.glob("*.yaml"))


def read_located(file: Path) -> Located:
    """One YAML file (no ``extends:``), read with the safe loader, each value with its file and line.
    Other input files (experiments) use it to report problems the way scenarios do."""
    data, lines = _read_yaml(file)
    return Located(data, {path: (str(file), line) for path, line in lines.items()})


def validation_problems(located: Located, exc: ValidationError, model: type[BaseModel],
                        prefix: Path_ = ()) -> list[Problem]:
    """A pydantic error on ``located`` as :class:`Problem` lines (typos get the nearest valid key)."""
    return _pydantic_problems(located, prefix, exc, model)


def scenario_value(scenario: Scenario, dotted: str) -> Any:
    """The value at a dotted path of a resolved scenario (``agents.china.assertiveness``);
    raises KeyError when the path names no value."""
    node: Any = _scenario_to_raw(scenario)
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def scenario_paths(scenario: Scenario) -> list[str]:
    """Every dotted path that names one value of the scenario (for sweeps and suggestions)."""
    def leaves(node: Any, prefix: str) -> list[str]:
        if not isinstance(node, dict):
            return [prefix]
        return [p for k, v in node.items() for p in leaves(v, f"{prefix}.{k}" if prefix else str(k))]

    return leaves(_scenario_to_raw(scenario), "")
