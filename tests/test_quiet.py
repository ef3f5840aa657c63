"""fd 2 redirection: a libjpeg warning reaches the caller that decoded the image, even while another
thread builds an interpreter (which redirects fd 2 too). Without one lock for both, the warning went
to the other thread's sink and out raw: CI saw exactly that, once."""

from __future__ import annotations

import threading

import cv2
from conftest import IMAGES, need

from camapp.quiet import captured_stderr, library_note, quiet_native_info


def truncated_jpeg(tmp_path):
    data = need(IMAGES / "pets.jpg").read_bytes()
    bad = tmp_path / "cut.jpg"
    bad.write_bytes(data[: int(len(data) * 0.75)])
    return bad


def test_the_warning_is_captured_by_the_decoding_thread(tmp_path):
    bad = truncated_jpeg(tmp_path)
    with captured_stderr() as said:
        image = cv2.imread(str(bad))
    assert image is not None and library_note(said) == "Premature end of JPEG file"


def test_a_concurrent_native_redirection_does_not_steal_the_warning(tmp_path, capfd):
    bad = truncated_jpeg(tmp_path)
    stop = threading.Event()

    def build_rungs() -> None:  # what a background ladder build does, minus the interpreter
        while not stop.is_set():
            with quiet_native_info():
                stop.wait(0.0005)

    other = threading.Thread(target=build_rungs)
    other.start()
    try:
        notes = []
        for _ in range(100):
            with captured_stderr() as said:
                cv2.imread(str(bad))
            notes.append(library_note(said))
    finally:
        stop.set()
        other.join(5)
    assert notes == ["Premature end of JPEG file"] * 100
    assert "Premature end" not in capfd.readouterr().err  # nothing leaked out raw


def test_native_info_lines_are_dropped_and_others_passed_on(capfd):
    import os

    with quiet_native_info():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\nreal problem\n")
    assert capfd.readouterr().err == "real problem\n"
