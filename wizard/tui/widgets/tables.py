"""A DataTable that redraws only when its rows change."""

from __future__ import annotations

from typing import Sequence

from textual.widgets import DataTable


class RowsTable(DataTable):
    """Rows are replaced as a whole by `show_rows`; the cursor stays on the same row key."""

    def __init__(self, columns: Sequence[str], **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self._columns = columns
        self._shown: list[tuple] = []

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    def show_rows(self, rows: Sequence[tuple], keys: Sequence[str] | None = None) -> None:
        """Show `rows` (each a tuple of cells); `keys` name them so the cursor can follow."""
        signature = [tuple(str(cell) for cell in row) for row in rows]
        if signature == self._shown:
            return
        self._shown = signature
        selected = self._selected_key()
        self.clear()
        for index, row in enumerate(rows):
            self.add_row(*row, key=keys[index] if keys else str(index))
        if selected is not None and keys and selected in keys:
            self.move_cursor(row=list(keys).index(selected))

    def _selected_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    @property
    def selected_key(self) -> str | None:
        return self._selected_key()
