"""The broker URL and its options: every mistake a one-line CamappError, the password never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from camapp.errors import CamappError
from camapp.mqtt.url import PASSWORD_ENV, masked, parse_url


def test_defaults_ports_user_and_ipv6():
    b = parse_url("mqtt://broker.lan", environ={})
    assert (b.host, b.port, b.tls, b.username, b.password) == ("broker.lan", 1883, False, None, None)
    assert parse_url("mqtts://cam@10.0.0.2", environ={}).port == 8883
    b = parse_url("mqtt://cam@[::1]:1999", environ={})
    assert (b.host, b.port, b.username) == ("::1", 1999, "cam")
    assert b.address == "mqtt://cam@[::1]:1999"


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://host", "expected mqtt://"),
        ("host:1883", "expected mqtt://"),
        ("mqtt://", "no host"),
        ("mqtt://host:99999", "(?i)port"),
        ("mqtt://host:0", "(?i)port"),
        ("mqtt://host:x", "(?i)port"),
        ("mqtt://host/topic", "no path"),
        ("mqtt://u:pw@host", "no password in the URL"),
    ],
)
def test_bad_urls_are_one_line(url, says):
    with pytest.raises(CamappError, match=says) as err:
        parse_url(url, environ={})
    assert "\n" not in str(err.value)
    assert "pw" not in str(err.value).replace("password", "")


@pytest.mark.parametrize(
    "url",
    [
        "mqtt://u:s3cret@host:99999",  # refused for its port before its password
        "mqtt://u:s3cret@host:x",
        "http://u:s3cret@host",
        "mqtt://u:s3cret@",
        "mqtt://u:s3cret@host:0",
        "mqtt://u:s3cret@host/topic",
        "mqtt://u:s3/cret@host",  # a '/' in the password ends the host part early
        "mqtt://u:s3cret@[::1",
    ],
)
def test_a_password_in_a_bad_url_is_never_echoed(url):
    with pytest.raises(CamappError) as err:
        parse_url(url, environ={})
    text = str(err.value)
    assert "s3cret" not in text and "cret" not in text, text
    assert "\n" not in text


def test_the_masked_url_keeps_what_helps():
    with pytest.raises(CamappError, match=r"'mqtt://u:\*\*\*@host:99999': (?i:port)"):
        parse_url("mqtt://u:s3cret@host:99999", environ={})
    assert masked("mqtt://cam@host:1883") == "mqtt://cam@host:1883"
    assert masked("mqtt://host:1883") == "mqtt://host:1883"


def test_password_from_env_or_file_never_in_repr(tmp_path: Path):
    b = parse_url("mqtt://cam@h", environ={PASSWORD_ENV: "hunter22"})
    assert b.password == "hunter22" and "hunter22" not in repr(b) and "hunter22" not in b.address
    f = tmp_path / "pw"
    f.write_text("from-file\n")
    assert (
        parse_url("mqtt://cam@h", password_file=str(f), environ={PASSWORD_ENV: "env"}).password == "from-file"
    )
    with pytest.raises(CamappError, match="needs a user name"):
        parse_url("mqtt://h", environ={PASSWORD_ENV: "x"})
    with pytest.raises(CamappError, match="--mqtt-password-file"):
        parse_url("mqtt://cam@h", password_file=str(tmp_path / "none"), environ={})


def test_tls_files(tmp_path: Path):
    ca = tmp_path / "ca.crt"
    ca.write_text("x")
    assert parse_url("mqtts://h", ca=str(ca), environ={}).ca == str(ca)
    with pytest.raises(CamappError, match="go with an mqtts"):
        parse_url("mqtt://h", ca=str(ca), environ={})
    with pytest.raises(CamappError, match="go together"):
        parse_url("mqtts://h", cert=str(ca), environ={})
    with pytest.raises(CamappError, match="no such file"):
        parse_url("mqtts://h", ca=str(tmp_path / "missing.crt"), environ={})
