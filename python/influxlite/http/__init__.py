"""InfluxDB 1.8's HTTP API over an ``Engine``: ``influxlite serve``.

``config`` (TOML with InfluxDB's section/key names, ``INFLUXLITE_*`` overrides), ``write``
(``/write``, ``/api/v2/write``), ``server`` (the ASGI app, ``/ping``, ``/health``, the access
log, the lifecycle).
"""

from .config import Config, ConfigError, load

__all__ = ["Config", "ConfigError", "load", "serve"]


def serve(config: Config) -> int:
    from .server import serve as _serve

    return _serve(config)
