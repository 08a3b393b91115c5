"""A table whose columns share the terminal's width: never a horizontal scrollbar.

Each column has the width it needs at least and a share of what is left; on every
resize the widths are worked out again. Cells keep their whole text and are drawn
cut to their column with an ellipsis, so nothing an agent reads is cut without
saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

Cell = str | Text


@dataclass(frozen=True)
class Column:
    """`width` is the least the column needs; `grow` its share of the spare width."""

    key: str
    label: str
    width: int
    grow: int = 0


def fit_widths(columns: Sequence[Column], room: int, padding: int = 1) -> list[int]:
    """Content widths that fill `room` cells (each column also takes `padding` both sides).

    Spare room goes to the growing columns by their shares; when even the least widths
    do not fit, the growing columns give way first (down to 3 cells), then the rest.
    """
    chrome = 2 * padding * len(columns)
    widths = [c.width for c in columns]
    spare = room - chrome - sum(widths)
    shares = sum(c.grow for c in columns)
    if spare >= 0 and shares:
        given = 0
        growing = [i for i, c in enumerate(columns) if c.grow]
        for i in growing:
            extra = spare * columns[i].grow // shares
            widths[i] += extra
            given += extra
        widths[growing[-1]] += spare - given
    elif spare < 0:
        order = [i for i, c in enumerate(columns) if c.grow] + [
            i for i, c in enumerate(columns) if not c.grow
        ]
        for i in order:
            if spare >= 0:
                break
            give = min(widths[i] - 3, -spare)
            if give > 0:
                widths[i] -= give
                spare += give
    return widths


def fit_cell(value: Cell) -> Text:
    """A cell that is cut with an ellipsis wherever its column ends (never read as markup)."""
    text = value.copy() if isinstance(value, Text) else Text(value)
    text.no_wrap = True
    text.overflow = "ellipsis"
    text.end = ""
    return text


class FitTable(DataTable[Cell]):
    """Give it columns once and rows as often as they change; it keeps them fitted.

    Home and End move the cursor to the first and last row (not just the view).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first_row", "First", show=False, id="table.first"),
        Binding("end", "last_row", "Last", show=False, id="table.last"),
    ]

    DEFAULT_CSS = """
    FitTable { overflow-x: hidden; }
    """

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        id: str | None = None,
        classes: str | None = None,
        zebra_stripes: bool = False,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=zebra_stripes)
        self.fit_columns = list(columns)
        self._widths: list[int] = []
        self._rows: list[tuple[str | None, list[Text]]] = []

    def on_mount(self) -> None:
        self._widths = fit_widths(self.fit_columns, self._room())
        self._add_columns()

    def _add_columns(self) -> None:
        for column, width in zip(self.fit_columns, self._widths, strict=True):
            self.add_column(column.label, width=width, key=column.key)

    def _room(self) -> int:
        width = self.size.width or self.app.size.width
        scrollbar = self.styles.scrollbar_size_vertical
        return max(10, width - scrollbar)

    def on_resize(self, event: events.Resize) -> None:
        widths = fit_widths(self.fit_columns, self._room())
        if widths != self._widths:
            self._widths = widths
            row = self.cursor_row
            self.clear(columns=True)
            self._add_columns()
            self._add_rows(row)

    def set_rows(self, rows: Sequence[tuple[str | None, Sequence[Cell]]]) -> None:
        """Replace every row (key, cells); the cursor stays on the same row number."""
        row = self.cursor_row
        self._rows = [(key, [fit_cell(c) for c in cells]) for key, cells in rows]
        self.clear()
        self._add_rows(row)

    def _add_rows(self, cursor_row: int) -> None:
        for key, cells in self._rows:
            self.add_row(*cells, key=key)
        if self.row_count:
            self.move_cursor(row=min(max(cursor_row, 0), self.row_count - 1), animate=False)

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def cell_text(self, row: int) -> list[str]:
        """A row's cells as fitted on screen, as plain text."""
        return [str(cell) for cell in self.get_row_at(row)]
