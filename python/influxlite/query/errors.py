"""The InfluxQL parse error, worded exactly as InfluxDB words it."""

from __future__ import annotations

__all__ = ["ParseError"]


class ParseError(ValueError):
    """A query InfluxDB would refuse with 400 `error parsing query: <str(e)>`.

    Either `found`/`expected` (a token where others were expected) or a free
    `message`; `pos` is the 0-based (line, char), None where InfluxDB prints none.
    """

    def __init__(self, message: str = "", found: str = "", expected: list[str] | None = None,
                 pos: tuple[int, int] | None = None) -> None:
        self.message = message
        self.found = found
        self.expected = list(expected or [])
        self.pos = pos
        super().__init__(self._text())

    @classmethod
    def unexpected(cls, found: str, expected: list[str], pos: tuple[int, int]) -> "ParseError":
        return cls(found=found, expected=expected, pos=pos)

    @property
    def line(self) -> int | None:
        return None if self.pos is None else self.pos[0] + 1

    @property
    def char(self) -> int | None:
        return None if self.pos is None else self.pos[1] + 1

    def _text(self) -> str:
        if self.message:
            if self.pos is None:
                return self.message
            return f"{self.message} at line {self.pos[0] + 1}, char {self.pos[1] + 1}"
        pos = self.pos or (0, 0)
        return (f"found {self.found}, expected {', '.join(self.expected)} "
                f"at line {pos[0] + 1}, char {pos[1] + 1}")

    def __str__(self) -> str:
        return self._text()
