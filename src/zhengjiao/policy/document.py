"""The policy file: parse the YAML, check it against the JSON Schema, flatten it into entries.

Pure (no Django). Every problem is a ``DomainError`` naming the field path
(``parameters[3].values[0].valid_to``) and, where the YAML parser knows it, the line.
``check_policy_text`` returns all problems; ``parse_policy_text`` raises the first one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from zhengjiao.core import regions
from zhengjiao.core.errors import DomainError

from .parameters import CALENDAR_PARAMETERS, describe_series
from .rules import Entry, find_overlaps

DATA_DIR = Path(__file__).resolve().parent / "data"
SCHEMA_PATH = DATA_DIR / "schema.json"
BUNDLED_POLICY_PATH = DATA_DIR / "jiangsu.yaml"
MAX_PROBLEMS = 50
# libyaml when present (several times faster); both keep the line marks the error messages need.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class PolicyDocument:
    """A policy file that passed every check."""

    label: str
    province: str
    title: str
    sha256: str
    entries: tuple[Entry, ...]


def bundled_policy_text() -> str:
    """The Jiangsu parameters shipped with Zhengjiao (``policy/data/jiangsu.yaml``)."""
    return BUNDLED_POLICY_PATH.read_text(encoding="utf-8")


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_policy_text(text: str) -> PolicyDocument:
    """The checked document, or the first problem raised as a ``DomainError``."""
    document, problems = check_policy_text(text)
    if problems:
        raise problems[0]
    assert document is not None
    return document


def check_policy_text(text: str) -> tuple[PolicyDocument | None, list[DomainError]]:
    """Run every check; return the document (``None`` when any check failed) and the problems."""
    try:
        data, lines = _load_yaml(text)
    except DomainError as error:
        return None, [error]
    problems = _schema_problems(data, lines)
    if problems:
        return None, problems
    entries = _flatten(data, lines)
    problems = (
        _validity_problems(entries)
        + _region_problems(data["province"], entries)
        + _overlap_problems(entries)
        + _calendar_problems(entries)
    )
    if problems:
        return None, problems[:MAX_PROBLEMS]
    document = PolicyDocument(
        label=data["version"],
        province=data["province"],
        title=data["title"],
        sha256=sha256_of(text),
        entries=tuple(entry for entry, _ in entries),
    )
    return document, []


def format_path(path: JsonPath) -> str:
    """``("parameters", 3, "values", 0)`` → ``parameters[3].values[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# --- YAML --------------------------------------------------------------------------------------


def _load_yaml(text: str) -> tuple[Any, dict[JsonPath, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _invalid_yaml("the file is empty", "文件为空", None)
        lines: dict[JsonPath, int] = {}
        _map_lines(node, (), lines)
        data = loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise _invalid_yaml(problem, f"YAML 语法错误：{problem}", line) from error
    finally:
        loader.dispose()
    return data, lines


def _map_lines(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> None:
    """Record the 1-based line of every node by its JSON path; refuse duplicate mapping keys."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise _invalid_yaml(
                    f"duplicate key {key!r} in {format_path(path) or 'the top level'}",
                    f"键 {key!r} 重复（{format_path(path) or '顶层'}）",
                    line,
                )
            seen.add(key)
            _map_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _map_lines(item, (*path, index), lines)


def _invalid_yaml(message_en: str, message_zh: str, line: int | None) -> DomainError:
    where = f" (line {line})" if line else ""
    where_zh = f"（第 {line} 行）" if line else ""
    return DomainError(
        "policy.invalid_yaml",
        f"政策文件不是有效的 YAML：{message_zh}{where_zh}",
        f"the policy file is not valid YAML: {message_en}{where}",
        line=line,
    )


# --- schema ------------------------------------------------------------------------------------


@cache
def policy_schema() -> dict:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _schema_problems(data: Any, lines: dict[JsonPath, int]) -> list[DomainError]:
    validator = jsonschema.Draft202012Validator(policy_schema())
    problems = []
    for error in validator.iter_errors(data):
        path = tuple(error.absolute_path)
        problems.append((_line_of(path, lines), format_path(path), _schema_message(error)))
    problems.sort(key=lambda problem: (problem[0] or 0, problem[1]))
    return [
        _problem(
            "policy.schema_violation",
            field=field or "(file)",
            line=line,
            message_en=message,
            message_zh=f"不符合格式要求：{message}",
        )
        for line, field, message in problems[:MAX_PROBLEMS]
    ]


def _schema_message(error: jsonschema.ValidationError) -> str:
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "not" and description:
        return description
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."


def _line_of(path: JsonPath, lines: dict[JsonPath, int]) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def _problem(code: str, *, field: str, line: int | None, message_en: str, message_zh: str) -> DomainError:
    where = f" (line {line})" if line else ""
    where_zh = f"（第 {line} 行）" if line else ""
    return DomainError(
        code,
        f"{field}{where_zh}：{message_zh}",
        f"{field}{where}: {message_en}",
        field=field,
        line=line,
    )


# --- entries -----------------------------------------------------------------------------------


def _period_start(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def _flatten(data: dict, lines: dict[JsonPath, int]) -> list[tuple[Entry, JsonPath]]:
    """One ``Entry`` per value, with the JSON path it came from."""
    entries = []
    for series_index, series in enumerate(data["parameters"]):
        for value_index, item in enumerate(series["values"]):
            path: JsonPath = ("parameters", series_index, "values", value_index)
            entry = Entry(
                name=series["name"],
                region_code=item["region"],
                insurance_type=series.get("insurance_type", ""),
                payer=series.get("payer", ""),
                risk_class=series.get("risk_class"),
                valid_from=_period_start(item["valid_from"]),
                valid_to=_period_start(item["valid_to"]) if "valid_to" in item else None,
                value=item["value"],
                source=item["source"].strip(),
                illustrative=item["illustrative"],
                line=lines.get(path),
            )
            entries.append((entry, path))
    return entries


def _validity_problems(entries: list[tuple[Entry, JsonPath]]) -> list[DomainError]:
    return [
        _problem(
            "policy.invalid_validity",
            field=format_path((*path, "valid_to")),
            line=entry.line,
            message_en=f"valid_to {entry.valid_to:%Y-%m} is not after valid_from {entry.valid_from:%Y-%m}",
            message_zh=f"失效期 {entry.valid_to:%Y-%m} 不晚于生效期 {entry.valid_from:%Y-%m}",
        )
        for entry, path in entries
        if entry.valid_to is not None and entry.valid_to <= entry.valid_from
    ]


def _region_problems(province: str, entries: list[tuple[Entry, JsonPath]]) -> list[DomainError]:
    problems = []
    if not regions.is_known_region_code(province) or province[2:] != "0000":
        problems.append(
            _problem(
                "policy.unknown_region",
                field="province",
                line=None,
                message_en=f"{province} is not a known province code",
                message_zh=f"{province} 不是已知的省级行政区划代码",
            )
        )
        return problems
    for entry, path in entries:
        field = format_path((*path, "region"))
        if not regions.is_known_region_code(entry.region_code):
            problems.append(
                _problem(
                    "policy.unknown_region",
                    field=field,
                    line=entry.line,
                    message_en=f"region {entry.region_code} is not a known region code",
                    message_zh=f"行政区划代码 {entry.region_code} 不存在",
                )
            )
        elif not regions.is_within(entry.region_code, province):
            problems.append(
                _problem(
                    "policy.unknown_region",
                    field=field,
                    line=entry.line,
                    message_en=f"region {entry.region_code} lies outside the file's province {province}",
                    message_zh=f"行政区划 {entry.region_code} 不属于本文件的省份 {province}",
                )
            )
    return problems


def _calendar_problems(entries: list[tuple[Entry, JsonPath]]) -> list[DomainError]:
    """A holiday arrangement holds for one calendar year ("YYYY-01" to the next "YYYY-01") and lists
    real days of that year."""
    problems = []
    for entry, path in entries:
        if entry.name not in CALENDAR_PARAMETERS:
            continue
        year = entry.valid_from.year
        if entry.valid_from.month != 1 or entry.valid_to != date(year + 1, 1, 1):
            problems.append(
                _problem(
                    "policy.invalid_calendar",
                    field=format_path(path),
                    line=entry.line,
                    message_en=f"a holiday arrangement runs one calendar year, {year}-01 to {year + 1}-01",
                    message_zh=f"节假日安排应以一个自然年为期：自 {year}-01 至 {year + 1}-01",
                )
            )
            continue
        for index, text in enumerate(entry.value):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                day = None
            if day is None or day.year != year:
                problems.append(
                    _problem(
                        "policy.invalid_calendar",
                        field=format_path((*path, "value", index)),
                        line=entry.line,
                        message_en=f"{text} is not a day of {year}",
                        message_zh=f"{text} 不是 {year} 年中的日期",
                    )
                )
    return problems


def _overlap_problems(entries: list[tuple[Entry, JsonPath]]) -> list[DomainError]:
    paths = {id(entry): path for entry, path in entries}
    problems = []
    for earlier, later in find_overlaps(entry for entry, _ in entries):
        what = describe_series(later.series)
        problems.append(
            _problem(
                "policy.overlapping_values",
                field=format_path(paths[id(later)]),
                line=later.line,
                message_en=(
                    f"{what} in region {later.region_code} from {later.valid_from:%Y-%m} overlaps the value "
                    f"from {earlier.valid_from:%Y-%m} at line {earlier.line}"
                ),
                message_zh=(
                    f"{what} 在 {later.region_code} 自 {later.valid_from:%Y-%m} 起的值与第 {earlier.line} 行"
                    f"自 {earlier.valid_from:%Y-%m} 起的值有效期重叠"
                ),
            )
        )
    return problems
