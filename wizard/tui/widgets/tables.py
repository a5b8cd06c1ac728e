"""A DataTable that redraws only when its rows change, its columns sized to what they hold."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable


def cell_width(cell: object) -> int:
    return (cell if isinstance(cell, Text) else Text(str(cell))).cell_len


class RowsTable(DataTable):
    """Rows are replaced as a whole by `show_rows`; the cursor stays on the same row key.

    Column widths are set with the rows (not measured later, when the table is idle), so
    what is drawn right after an update is already final.
    """

    def __init__(self, columns: Sequence[str], **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._columns = tuple(columns)
        self._shown: list[tuple[str, ...]] | None = None

    def on_mount(self) -> None:
        if self._shown is None:
            self.show_rows([])

    def show_rows(self, rows: Sequence[tuple], keys: Sequence[str] | None = None) -> None:
        """Show `rows` (each a tuple of cells); `keys` name them so the cursor can follow."""
        signature = [tuple(str(cell) for cell in row) for row in rows]
        if signature == self._shown:
            return
        self._shown = signature
        selected = self.selected_key
        self.clear(columns=True)
        for index, label in enumerate(self._columns):
            width = max([cell_width(label)] + [cell_width(row[index]) for row in rows])
            self.add_column(label, width=width, key=label)
        for index, row in enumerate(rows):
            self.add_row(*row, key=keys[index] if keys else str(index))
        if selected is not None and keys and selected in keys:
            self.move_cursor(row=list(keys).index(selected))

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
