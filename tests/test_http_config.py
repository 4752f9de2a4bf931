"""``influxlite serve``'s configuration: TOML with InfluxDB's names, INFLUXLITE_* overrides."""

from __future__ import annotations

import pytest

from influxlite.http.config import Config, ConfigError, env_name, load

pytestmark = pytest.mark.compares_implementations  # no parsing or storage: once is enough


def test_defaults_are_influxdbs():
    cfg = load(None, {})
    assert cfg == Config()
    assert cfg.max_body_size == 25_000_000 and cfg.write_timeout == 10.0 and cfg.log_enabled
    assert cfg.cache_snapshot_memory_size == 25 * 1024 * 1024 and cfg.retention_autocreate
    assert cfg.max_concurrent_write_limit == 0 and not cfg.auth_enabled
    assert cfg.host_port() == ("127.0.0.1", 8086)


def test_toml_sections_and_keys(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("""
[meta]
dir = "/var/lib/influxdb/meta"        # InfluxDB keys influxlite does not use are accepted
retention-autocreate = false

[data]
dir = "/srv/influx"
wal-fsync-delay = "100ms"
max-series-per-database = 0
max-values-per-tag = 0
cache-snapshot-memory-size = "64m"

[coordinator]
write-timeout = "1m30s"

[http]
bind-address = ":9999"
auth-enabled = true
max-body-size = 0
max-concurrent-write-limit = 4
log-enabled = false
""")
    cfg = load(f, {})
    assert cfg.data_dir == "/srv/influx" and cfg.wal_fsync_delay == pytest.approx(0.1)
    assert cfg.cache_snapshot_memory_size == 64 << 20 and cfg.write_timeout == 90.0
    assert cfg.max_series_per_database == 0 and cfg.max_values_per_tag == 0
    assert cfg.auth_enabled and cfg.max_body_size == 0 and cfg.max_concurrent_write_limit == 4
    assert not cfg.log_enabled and not cfg.retention_autocreate
    assert cfg.host_port() == ("0.0.0.0", 9999)  # InfluxDB's ":port": every interface


def test_environment_overrides_the_file(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[http]\nbind-address = "127.0.0.1:1"\nlog-enabled = true\n')
    env = {"INFLUXLITE_HTTP_BIND_ADDRESS": "127.0.0.1:2", "INFLUXLITE_HTTP_LOG_ENABLED": "false",
           "INFLUXLITE_COORDINATOR_WRITE_TIMEOUT": "250ms", "INFLUXLITE_DATA_CACHE_SNAPSHOT_MEMORY_SIZE": "1g",
           "INFLUXLITE_HTTP_MAX_BODY_SIZE": "1000", "INFLUXLITE_META_RETENTION_AUTOCREATE": "0"}
    cfg = load(f, env)
    assert cfg.bind_address == "127.0.0.1:2" and not cfg.log_enabled and cfg.write_timeout == 0.25
    assert cfg.cache_snapshot_memory_size == 1 << 30 and cfg.max_body_size == 1000 and not cfg.retention_autocreate
    assert env_name("data", "wal-fsync-delay") == "INFLUXLITE_DATA_WAL_FSYNC_DELAY"


@pytest.mark.parametrize("text, message", [
    ('[coordinator]\nwrite-timeout = "10 parsecs"\n', "[coordinator] write-timeout"),
    ('[http]\nlog-enabled = "maybe"\n', "[http] log-enabled"),
    ('[http]\nmax-body-size = "lots"\n', "[http] max-body-size"),
    ('[http]\nmax-body-size = -1\n', "[http] max-body-size: must not be negative"),
    ("[http\n", "c.toml"),
])
def test_bad_values_name_their_key(tmp_path, text, message):
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(f, {})


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="INFLUXLITE_HTTP_MAX_CONCURRENT_WRITE_LIMIT"):
        load(None, {"INFLUXLITE_HTTP_MAX_CONCURRENT_WRITE_LIMIT": "x"})


def test_bad_bind_address():
    with pytest.raises(ConfigError, match="bind-address"):
        Config(bind_address="nowhere").host_port()


def test_serve_cli_reports_a_bad_config(tmp_path, capsys):
    from influxlite.cli import main

    f = tmp_path / "c.toml"
    f.write_text('[http]\nmax-body-size = "lots"\n')
    assert main(["serve", "--config", str(f), "--data-dir", str(tmp_path / "d")]) == 2
    assert "[http] max-body-size" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()  # nothing opened


def _write(tmp_path, text):
    f = tmp_path / "auth.toml"
    f.write_text(text)
    return f
