"""How keys and values appear in messages: as TOML spells them, on one line, cut short.

Scenario files are TOML, so an error about one shows ``true``, ``1979-05-27`` and
``"a\\nb"`` — what the user wrote — not Python's ``True``, ``datetime.date(1979, 5, 27)`` or a
line break. Long values (a 400-digit number, a 1,000-character string, an array nested
3,000 deep) are cut to about :data:`MAX_CHARS` characters, saying how long they were;
formatting never recurses deeper than :data:`MAX_DEPTH`, so it cannot fail on such input.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_CHARS", "MAX_DEPTH", "key", "key_path", "value"]

MAX_CHARS = 60
MAX_DEPTH = 4
_BARE = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_BIG_BITS = 200  # whole numbers beyond ~60 digits are described, not printed


def _string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a valid TOML basic string: "…" with \n, \", \\ escapes


def key(k: Any) -> str:
    """One key as TOML writes it: bare when it can be, else a quoted string; cut when long."""
    k = str(k)
    if len(k) > MAX_CHARS:
        return _string(k[: MAX_CHARS - 1])[:-1] + f'…" ({len(k):,} characters)'
    return k if _BARE.fullmatch(k) else _string(k)


def key_path(*parts: Any) -> str:
    """A dotted key (``schedule.24.pay_director``), each part spelled by :func:`key`."""
    return ".".join(key(p) for p in parts)


def _int(v: int) -> str:
    if abs(v).bit_length() <= _BIG_BITS:
        return str(v)
    a = abs(v)
    digits = math.floor(math.log10(a)) + 1  # without str(), which refuses beyond 4,300 digits
    digits -= a < 10 ** (digits - 1)  # log10 rounds up just below a power of ten
    return f"{'-' if v < 0 else ''}a whole number of {digits:,} digits"


def _float(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def _spell(v: Any, depth: int, budget: int) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return _int(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        return _string(v[: budget + 1])
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        if depth >= MAX_DEPTH:
            return "[…]" if v else "[]"
        out: list[str] = []
        used = 0
        for item in v:
            if used > budget:
                out.append("…")
                break
            s = _spell(item, depth + 1, budget - used)
            out.append(s)
            used += len(s) + 2
        return "[" + ", ".join(out) + "]"
    if isinstance(v, Mapping):
        if depth >= MAX_DEPTH:
            return "{…}" if v else "{}"
        out = []
        used = 0
        for k, item in v.items():
            if used > budget:
                out.append("…")
                break
            s = f"{key(k)} = {_spell(item, depth + 1, budget - used)}"
            out.append(s)
            used += len(s) + 2
        return "{ " + ", ".join(out) + " }" if out else "{}"
    return _string(str(v)[: budget + 1])


def value(v: Any, *, limit: int = MAX_CHARS) -> str:
    """``v`` as TOML spells it, on one line, cut to about ``limit`` characters."""
    s = _spell(v, 0, limit)
    if len(s) <= limit:
        return s
    if isinstance(v, str):
        return f"{s[: limit - 1]}…\" ({len(v):,} characters)"
    return f"{s[: limit - 1]}… (cut)"
