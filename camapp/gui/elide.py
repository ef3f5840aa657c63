"""A one-line label that never widens its window: long text is elided, the full text is the tooltip.

A plain QLabel asks for its whole text's width, so one long line (a download error with its URL,
"Auto → Input 300×300 · 7.7 ms measured") used to widen the side bar past its scroll area or
the window past the screen.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """`text()` is the full text; what is shown is cut with "…" to the width the layout gives."""

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    ) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str | None) -> None:  # noqa: N802 - Qt API
        self._full = text or ""
        self.setToolTip(self._full)
        self._fit()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What is painted right now (elided or whole)."""
        return super().text()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(min(super().sizeHint().width(), 200), super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = max(0, self.contentsRect().width())
        super().setText(self.fontMetrics().elidedText(self._full, self._mode, width) if width else self._full)


class WrapLabel(QLabel):
    """A word-wrapped label that can also break long paths and URLs (after each / or \\).

    QLabel wraps only at spaces, so one long path asked for its whole width and pushed the side
    bar past its scroll area. `text()` is the text as given; the tooltip repeats it whole.
    """

    BREAK = "\u200b"  # zero-width space: a break opportunity that prints nothing

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setWordWrap(True)
        self.setMinimumWidth(1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str | None) -> None:  # noqa: N802 - Qt API
        self._full = text or ""
        self.setToolTip(self._full)
        breakable = self._full.replace("/", "/" + self.BREAK).replace("\\", "\\" + self.BREAK)
        super().setText(breakable)

    def text(self) -> str:
        return self._full


class NoteLabel(QLabel):
    """A wrapped, selectable note that takes no room while it has nothing to say (a side bar
    line of blank space is a line the detection controls do not get)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)

    def setText(self, text: str | None) -> None:  # noqa: N802 - Qt API
        super().setText(text or "")
        self.setVisible(bool(text))
