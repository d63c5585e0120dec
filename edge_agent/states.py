"""State points: a device's state (a string, an enumeration or a code) to the code published.

A sample's value is a float on the wire, so a state travels as its code: ``states = { idle = 0,
running = 1, fault = 2 }`` on a point names the codes. An OPC UA string value is looked up by
name; an enumeration value is translated through the names the node's data type gives
(EnumStrings, EnumValues or its definition) when the point names its states, and published as
it is otherwise; a Modbus value must be one of the codes. Anything else is unrecognised:
published as ``UNKNOWN`` with quality bad, counted, and logged once per point and value.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

UNKNOWN = -1.0  # the value of an unrecognised state (published with quality bad)
_MAX_LOGGED = 100  # distinct unrecognised values logged per point; more are only counted
_MAX_TEXT = 64  # characters of an unrecognised value carried with it


@dataclass(frozen=True, slots=True)
class Recognised:
    """The code a raw value maps to (``UNKNOWN`` when it maps to none) and the state's name.

    An unrecognised value's ``name`` is what the device showed (cut to 64 characters)."""

    code: float
    name: str = ""

    @property
    def known(self) -> bool:
        return self.code != UNKNOWN


@dataclass
class StateMap:
    """Maps the raw values of one point to state codes; counts what it cannot map."""

    device: str
    point: str
    states: dict[str, int] | None  # name -> code, from the point's config
    enum_names: dict[int, str] = field(default_factory=dict)  # node value -> name (OPC UA enum)
    unrecognised: int = 0
    _logged: set[str] = field(default_factory=set)

    @property
    def active(self) -> bool:
        """Whether the point is a state point (configured, or an enumeration node)."""
        return self.states is not None or bool(self.enum_names)

    def recognise(self, raw: object) -> Recognised:
        """The code of ``raw`` (a str, a LocalizedText, a number or a bool)."""
        text = getattr(raw, "Text", raw)  # an OPC UA LocalizedText holds its string in .Text
        if isinstance(text, str):
            return self._by_name(text.strip(), raw)
        if isinstance(raw, bool):
            return self._by_number(1 if raw else 0, raw)
        if isinstance(raw, int | float) and math.isfinite(raw) and float(raw).is_integer():
            return self._by_number(int(raw), raw)
        return self._unknown(raw, "not a state value")

    def _by_name(self, name: str, raw: object) -> Recognised:
        if self.states is None:
            return self._unknown(raw, "a string, and the point has no states")
        code = self.states.get(name)
        if code is None:
            return self._unknown(raw, "not one of the point's states")
        return Recognised(float(code), name)

    def _by_number(self, value: int, raw: object) -> Recognised:
        if self.enum_names:
            name = self.enum_names.get(value)
            if name is None:
                return self._unknown(raw, "not a value of the node's enumeration")
            if self.states is None:
                return Recognised(float(value), name)
            return self._by_name(name, raw)
        if self.states is None:
            return Recognised(float(value))
        for name, code in self.states.items():
            if code == value:
                return Recognised(float(code), name)
        return self._unknown(raw, "not one of the point's state codes")

    def _unknown(self, raw: object, why: str) -> Recognised:
        self.unrecognised += 1
        key = f"{why}:{raw!r}"
        if key not in self._logged and len(self._logged) < _MAX_LOGGED:
            self._logged.add(key)
            log.warning(
                "unrecognised state device=%s point=%s value=%r: %s; published as %s with quality bad",
                self.device,
                self.point,
                raw,
                why,
                UNKNOWN,
            )
        text = getattr(raw, "Text", raw)
        return Recognised(UNKNOWN, ("" if text is None else str(text))[:_MAX_TEXT])


def check_states(states: dict[str, int] | None) -> dict[str, int] | None:
    """``states`` if its names are printable and unique in meaning and its codes distinct and >= 0."""
    if states is None:
        return None
    if not states:
        raise ValueError("states must name at least one state")
    seen: dict[int, str] = {}
    for name, code in states.items():
        if not name.strip() or not name.isprintable():
            raise ValueError(f"state name {name!r} is empty or holds unprintable characters")
        if code < 0:
            raise ValueError(f"state {name!r} has code {code}: codes are >= 0 ({UNKNOWN:g} means unknown)")
        if code in seen:
            raise ValueError(f"states {seen[code]!r} and {name!r} share the code {code}")
        seen[code] = name
    return states
