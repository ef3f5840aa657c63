"""Settings persist in one INI file in the config folder and reset cleanly."""

from __future__ import annotations

from PyQt6.QtCore import QByteArray

from camapp.gui.paths import reset_settings, settings_path
from camapp.gui.settings import Settings


def test_defaults_on_a_fresh_start(qapp, tmp_path):
    s = Settings()
    assert s.path == tmp_path / "config" / "gui.ini"
    assert s.source is None and s.device == "cpu" and s.threshold == 0.5
    assert s.classes is None and s.input_size is None and s.geometry is None


def test_values_survive_a_restart(qapp, tmp_path):
    s = Settings()
    s.source = "/videos/a.mp4"
    s.device = "edgetpu"
    s.input_size = 208
    s.threshold = 0.35
    s.classes = ["person", "bottle"]
    s.output_dir = tmp_path / "out"
    s.geometry = QByteArray(b"\x01\x02geom")
    s.sync()
    again = Settings()
    assert again.source == "/videos/a.mp4"
    assert again.device == "edgetpu"
    assert again.input_size == 208
    assert again.threshold == 0.35
    assert again.classes == ["person", "bottle"]
    assert again.output_dir == tmp_path / "out"
    assert bytes(again.geometry) == b"\x01\x02geom"


def test_auto_rung_empty_class_list_and_reset(qapp):
    s = Settings()
    s.input_size = "auto"
    s.classes = []  # "None" pressed: nothing drawn, which differs from "no filter"
    s.sync()
    assert Settings().input_size == "auto"
    assert Settings().classes == []
    assert settings_path().is_file()
    reset_settings()
    assert not settings_path().exists()
    assert Settings().classes is None and Settings().input_size is None


def test_garbage_in_the_file_falls_back_to_defaults(qapp):
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text("[General]\nthreshold=lots\ninput_size=big\nthreads=-3\n")
    s = Settings()
    assert s.threshold == 0.5 and s.input_size is None and s.threads == 1


def test_tracking_choices_round_trip_and_older_files_load(qapp):
    from camapp.gui.settings import TrackChoices

    s = Settings()
    choices = TrackChoices(
        track=True, line="0.000,0.650,1.000,0.650", zone="0.1,0.1,0.9,0.1,0.5,0.9", trails=True
    )
    s.tracking = choices
    s.sync()
    assert Settings().tracking == choices
    s.tracking = TrackChoices(track=True, trails=False)
    s.sync()
    assert Settings().tracking == TrackChoices(track=True)  # trails off and no zone are kept too

    # a file from before zones and trails: what it has loads, the rest takes the defaults
    path = settings_path()
    path.write_text('[tracking]\ntrack=true\nline="0,0.5,1,0.5"\n')
    old = Settings().tracking
    assert old == TrackChoices(track=True, line="0,0.5,1,0.5", zone="", trails=False)
