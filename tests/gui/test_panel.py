"""The rung slider and the class checklist behave as a person expects."""

from __future__ import annotations

from PyQt6.QtCore import Qt

from camapp.gui.panel import ClassFilter, RungSlider

NAMES = ("???", "person", "bicycle", "car", "???", "bottle", "wine glass")


def test_class_filter_search_none_all(qtbot):
    f = ClassFilter()
    qtbot.addWidget(f)
    f.set_labels(NAMES)
    assert [i.text() for i in f.items()] == ["person", "bicycle", "car", "bottle", "wine glass"]
    assert f.selected() is None
    emitted: list[object] = []
    f.changed.connect(emitted.append)
    qtbot.keyClicks(f.search, "BOT")
    visible = [i.text() for i in f.items() if not i.isHidden()]
    assert visible == ["bottle"]
    f._set_all(False)  # "None" acts on what the search shows
    assert f.selected() == {1, 2, 3, 6}
    assert emitted[-1] == {1, 2, 3, 6}
    f.search.clear()
    f.set_checked(["bottle"])
    assert f.selected() == {5} and f.selected_names() == ["bottle"]
    f.items()[0].setCheckState(Qt.CheckState.Checked)
    assert emitted[-1] == {1, 5}
    f.set_checked(None)
    assert f.selected() is None and emitted[-1] is None


def test_rung_slider_stops_labels_and_auto(qtbot):
    r = RungSlider()
    qtbot.addWidget(r)
    r.set_sizes([300, 240, 176, 112], current=300)
    assert r.sizes == (112, 176, 240, 300) and r.current() == 300
    r.set_measured({112: 2.0, 176: 4.1, 240: 6.2, 300: 9.0})
    assert "300×300" in r.value_label.text() and "9.0 ms" in r.value_label.text()
    chosen: list[int] = []
    auto: list[float] = []
    r.size_chosen.connect(chosen.append)
    r.auto_chosen.connect(auto.append)
    r.slider.setValue(1)
    assert chosen == [176]
    r.target.setValue(20)
    r.auto.setChecked(True)
    assert auto == [20.0] and not r.slider.isEnabled()
    r.set_current(240)  # the pipeline's Auto picked 240: follow it silently
    assert r.current() == 240 and chosen == [176]
    r.auto.setChecked(False)
    assert chosen[-1] == 240 and r.slider.isEnabled()


def test_fixed_size_device_disables_the_slider_with_its_reason(qtbot):
    r = RungSlider()
    qtbot.addWidget(r)
    r.set_sizes([300], current=300, fixed_reason="The Edge TPU model is compiled for 300×300.")
    assert not r.slider.isEnabled() and not r.auto.isEnabled()
    assert "compiled" in r.note.text()


def test_rung_slider_keyboard_keys_as_documented(qtbot):
    """docs/desktop-app.md: arrows and Page Up/Down step one rung, Home/End go to the ends."""
    from PyQt6.QtCore import Qt as _Qt
    from PyQt6.QtTest import QTest

    r = RungSlider()
    qtbot.addWidget(r)
    r.show()
    r.set_sizes([300, 240, 176, 112], current=300)
    chosen: list[int] = []
    r.size_chosen.connect(chosen.append)
    r.slider.setFocus()
    for key, size in (
        (_Qt.Key.Key_Left, 240),
        (_Qt.Key.Key_Down, 176),
        (_Qt.Key.Key_PageDown, 112),
        (_Qt.Key.Key_Right, 176),
        (_Qt.Key.Key_PageUp, 240),
        (_Qt.Key.Key_End, 300),
        (_Qt.Key.Key_Home, 112),
    ):
        QTest.keyClick(r.slider, key)
        assert chosen[-1] == size and r.current() == size


def test_relabelled_stops_never_show_twice(qtbot):
    """New ms labels replace the old at once (the old used to linger, drawn over, until deleted)."""
    from PyQt6.QtWidgets import QApplication, QLabel

    r = RungSlider()
    qtbot.addWidget(r)
    r.show()
    r.set_sizes([300, 240, 176, 112], current=300)
    r.set_measured({112: 2.0, 176: 4.1, 240: 6.2, 300: 9.0})
    r.set_measured({112: 2.2, 176: 4.3, 240: 6.6, 300: 9.9})
    QApplication.processEvents()  # shows the new labels; deferred deletes wait for an event loop
    stops = [lbl for lbl in r.findChildren(QLabel) if lbl.isVisible() and "\n" in lbl.text()]
    assert sorted(lbl.text() for lbl in stops) == ["112\n2 ms", "176\n4 ms", "240\n7 ms", "300\n10 ms"]


def test_stop_labels_never_run_backwards(qtbot):
    """Under load a smaller rung's figure (a live median) can exceed a larger one's (an idle
    start-up timing): the stops show the larger input at least as slow, the tooltip the measured."""
    from PyQt6.QtWidgets import QApplication, QLabel

    r = RungSlider()
    qtbot.addWidget(r)
    r.show()
    r.set_sizes([112, 240, 272, 300], current=300)
    r.set_measured({112: 22.0, 240: 221.0, 272: 370.0, 300: 349.0})
    QApplication.processEvents()
    stops = {
        lbl.text().split("\n")[0]: lbl
        for lbl in r.findChildren(QLabel)
        if lbl.isVisible() and "\n" in lbl.text()
    }
    ms = [float(stops[s].text().split("\n")[1].removesuffix(" ms")) for s in ("112", "240", "272", "300")]
    assert ms == [22, 221, 370, 370] and ms == sorted(ms)
    assert (
        "349.0 ms per frame measured here" in stops["300"].toolTip()
        and "shown as 370 ms" in stops["300"].toolTip()
    )
    assert "shown as" not in stops["272"].toolTip()  # its own figure
    assert "349.0 ms measured" in r.value_label.text()  # the running rung's own figure


def test_region_stops_name_the_zoom_and_drop_auto(qtbot):
    """A fixed-input network (the AI Camera, Hailo): the stops are regions, there is no Auto, and
    moving the slider emits the stop even when Auto was on for the previous (CPU) detector."""
    r = RungSlider()
    qtbot.addWidget(r)
    r.auto.setChecked(True)  # chosen for the CPU before
    r.set_sizes([320, 480, 640, 960, 1280], current=320, fixed_reason="on the sensor", zooms=[1, 1.5, 2, 3, 4])
    assert r.regions and r.slider.isEnabled() and not r.auto.isEnabled() and not r.target.isEnabled()
    assert r.value_label.text() == "Region: whole frame" and "digital zoom" in r.slider.toolTip()
    assert r.note.text() == "on the sensor"
    chosen: list[int] = []
    r.size_chosen.connect(chosen.append)
    r.slider.setValue(2)
    assert chosen == [640] and r.value_label.text() == "Region: central 1/2 (2× zoom)"
    r.set_sizes([300, 240], current=300)  # back to a ladder: input sizes again, Auto as it was
    assert not r.regions and r.auto.isEnabled() and not r.slider.isEnabled() and r.slider.toolTip() == ""
