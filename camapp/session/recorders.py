"""The session's recorders: video (with segments), event clips, the detection log, snapshots.

Each is a pipeline consumer in one slot ("video", "events", "log", "snapshots") and satisfies
`camapp.record.Recorder`: its spec builds it (`spec.build`), its `report()` says what it wrote.
The session's commands that start, stop and detach them are in `camapp.session.core`; this is
what they share with the status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from camapp.session.specs import BuildContext, OutputSpec, build_output, check_distinct

if TYPE_CHECKING:
    from camapp.record import Recorder

# The kind a recorder's failure is reported with, by slot (`failed` events).
SLOT_KIND = {"video": "record", "events": "events", "log": "log", "snapshots": "snapshots"}


def build_recorders(
    specs: Sequence[OutputSpec], ctx: BuildContext, on_error: Callable[[str, str], None]
) -> dict[str, Recorder]:
    """slot -> recorder for each spec; `on_error(slot, message)` hears a later write error. If
    one cannot start, those already built are closed and the error is raised."""
    check_distinct(list(specs))
    built: dict[str, Recorder] = {}
    try:
        for spec in specs:
            slot = spec.slot
            built[slot] = build_output(spec, replace(ctx, on_error=lambda m, s=slot: on_error(s, m)))
    except BaseException:
        for rec in built.values():
            rec.close()
        raise
    return built


def recorder_path(rec: Recorder) -> str:
    """The file (or, for segments and clips, the pattern or folder) a recorder writes."""
    return rec.report().path
