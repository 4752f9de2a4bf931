"""The rest of tests/select_queries.py's catalogue: count(distinct()), epoch, several statements, the
errors users hit, and Grafana's query shapes (/work/shared/spec/clients.md B.4)."""

from __future__ import annotations

from select_queries import F, H1, MS_HI, MS_LO, S, W, add  # noqa: F401


def count_distinct() -> None:
    c = "count_distinct"
    add(c, f"SELECT count(distinct(status)) FROM mem WHERE {W}")
    add(c, f"SELECT count(distinct(status)) FROM mem WHERE {W} GROUP BY host")
    add(c, f"SELECT count(distinct(n)) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT count(distinct(usage_user)) FROM cpu WHERE {W} GROUP BY time(2h)")
    add(c, f"SELECT distinct(status) FROM mem WHERE {W} GROUP BY time(2h)")
    add(c, f"SELECT count(distinct(host)) FROM weather WHERE time < '2023-11-18T00:00:00Z'")
    add(c, f"SELECT count(distinct(ok)) FROM mem WHERE {W}")
    add(c, f"SELECT count(distinct status) FROM mem WHERE {W}")
    add(c, f"SELECT distinct status FROM mem WHERE {W}")


def epochs() -> None:
    c = "epoch"
    raw = f"SELECT usage_user FROM cpu WHERE {H1} AND {F}"
    agg = f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h)"
    for e in ["ns", "n", "u", "µ", "ms", "s", "m", "h", "x", ""]:
        add(c, raw, epoch=e)
    for e in ["ms", "s", "h"]:
        add(c, agg, epoch=e)
    add(c, "SELECT usage_user FROM cpu WHERE host = 'server02' AND time >= '2023-11-14T21:00:00Z' "
           "AND time < '2023-11-14T21:02:00Z'", epoch="m")
    add(c, f"SELECT max(usage_user) FROM cpu WHERE {W}", epoch="s")
    add(c, f"SELECT * FROM cpu WHERE {F}", epoch="ms", method="POST")


def multi_statement() -> None:
    c = "multi_statement"
    a = f"SELECT mean(usage_user) FROM cpu WHERE {W}"
    b = f"SELECT count(free) FROM mem WHERE {W} GROUP BY host"
    add(c, f"{a}; {b}")
    add(c, f"{a}; SELECT nope(x) FROM cpu; {b}")
    add(c, f"{a}; SELECT mean(usage_user), usage_user FROM cpu; {b}")
    add(c, f"{a}; SHOW MEASUREMENTS; {b}")
    add(c, f"{a};")
    add(c, f"{a}; {a}", epoch="s")
    add(c, f"SELECT * FROM cpu WHERE {F}; SELECT * FROM nope", db="")
    add(c, f"{a}; SELECT FROM")


def errors() -> None:
    c = "errors"
    for q in [f"SELECT mean(usage_user), usage_system FROM cpu WHERE {W}",
              f"SELECT usage_user, count(usage_user) FROM cpu WHERE {W}",
              f"SELECT foo(usage_user) FROM cpu WHERE {W}",
              f"SELECT count() FROM cpu WHERE {W}", f"SELECT count(usage_user, 2) FROM cpu WHERE {W}",
              f"SELECT mean(usage_user, 2) FROM cpu WHERE {W}", f"SELECT percentile(usage_user) FROM cpu WHERE {W}",
              f"SELECT percentile(usage_user, 'x') FROM cpu WHERE {W}", f"SELECT top(usage_user) FROM cpu WHERE {W}",
              f"SELECT top(usage_user, 0) FROM cpu WHERE {W}", f"SELECT top(usage_user, 'a') FROM cpu WHERE {W}",
              f"SELECT top(usage_user, 2.5) FROM cpu WHERE {W}", f"SELECT top(*, 2) FROM cpu WHERE {W}",
              f"SELECT top(usage_user, usage_system, 2) FROM cpu WHERE {W}",
              f"SELECT bottom(usage_user, host) FROM cpu WHERE {W}", f"SELECT derivative() FROM cpu WHERE {W}",
              f"SELECT derivative(usage_user, -1s) FROM cpu WHERE {W}",
              f"SELECT derivative(usage_user, 1m, 2) FROM cpu WHERE {W}",
              f"SELECT derivative(mean(usage_user)) FROM cpu WHERE {W}",
              f"SELECT usage_user FROM cpu WHERE {W} GROUP BY time(10m)",
              f"SELECT * FROM cpu WHERE {W} GROUP BY time(10m)",
              f"SELECT mean(usage_user) FROM cpu WHERE {H1} GROUP BY time(10m) fill(none)",
              f"SELECT distinct(usage_user), usage_user FROM cpu WHERE {W}",
              f"SELECT distinct(usage_user), mean(usage_user) FROM cpu WHERE {W}",
              "SELECT FROM cpu", "SELECT * FROM", "SELECT * FROM cpu WHERE", "SELECT * cpu",
              f"SELECT moving_average(usage_user, 0) FROM cpu WHERE {W}",
              f"SELECT moving_average(usage_user) FROM cpu WHERE {W}",
              f"SELECT elapsed(mean(usage_user)) FROM cpu WHERE {W} GROUP BY time(1h)",
              f"SELECT elapsed(usage_user, 0s) FROM cpu WHERE {W}",
              f"SELECT integral(usage_user, 'x') FROM cpu WHERE {W}",
              f"SELECT integral(usage_user, 0s) FROM cpu WHERE {W}",
              f"SELECT sum(status) FROM mem WHERE {W}", f"SELECT mean(ok) FROM mem WHERE {W}",
              f"SELECT stddev(status) FROM mem WHERE {W}",
              f"SELECT usage_user FROM cpu WHERE {W} fill(0)",
              f"SELECT mean(usage_user) FROM cpu WHERE {W} fill(0)",
              f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h) fill(nope)",
              f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h), time(2h)",
              f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h) fill(none) fill(0)",
              f"SELECT mean(mean(usage_user)) FROM cpu WHERE {W} GROUP BY time(1h)",
              f"SELECT max(mean(usage_user)) FROM cpu WHERE {W}",
              f"SELECT count(distinct(status), 1) FROM mem WHERE {W}",
              f"SELECT mean(distinct(n)) FROM cpu WHERE {W}",
              f"SELECT usage_user FROM cpu WHERE {W} SLIMIT -1",
              f"SELECT usage_user FROM cpu WHERE {W} LIMIT 'a'",
              f"SELECT * FROM cpu WHERE {W} tz('Europe/Paris') tz('UTC')",
              f"SELECT time FROM cpu WHERE {W}",
              f"SELECT mean(time) FROM cpu WHERE {W}",
              f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h) ORDER BY host",
              f"SELECT * FROM cpu WHERE host = 'a' AND {W} AND",
              f"SELECT * FROM cpu WHERE host =~ /[/ AND {W}",
              f"SELECT non_negative_derivative(usage_user, 'x') FROM cpu WHERE {W}",
              f"SELECT difference(usage_user, 1) FROM cpu WHERE {W}",
              f"SELECT cumulative_sum() FROM cpu WHERE {W}",
              f"SELECT sample(usage_user, 0) FROM cpu WHERE {W}",
              f"SELECT sample(usage_user) FROM cpu WHERE {W}",
              f"SELECT first() FROM cpu WHERE {W}",
              f"SELECT max(usage_user, 2) FROM cpu WHERE {W}",
              f"SELECT usage_user FROM cpu WHERE {W} GROUP BY time(1h) fill(previous)",
              f"SELECT abs(mean(usage_user)), usage_user FROM cpu WHERE {W}",
              f"SELECT mean(usage_user) + usage_user FROM cpu WHERE {W}",
              f"SELECT top(usage_user, 2), mean(usage_user) FROM cpu WHERE {W}",
              f"SELECT top(usage_user, 2), bottom(usage_user, 2) FROM cpu WHERE {W}",
              "SELECT mean(usage_user) FROM cpu WHERE time > now() - 10m GROUP BY time(1s)"]:
        add(c, q)


def grafana() -> None:
    c = "grafana"
    tf = f"time >= {MS_LO}ms and time <= {MS_HI}ms"
    add(c, f"SELECT mean(\"usage_user\") FROM \"autogen\".\"cpu\" WHERE {tf} GROUP BY time(10m) fill(null)", epoch="ms")
    add(c, f"SELECT mean(\"usage_user\") FROM \"cpu\" WHERE (\"host\" = 'server01' OR \"host\" = 'server02') AND {tf} "
           "GROUP BY time(30m), \"region\" fill(null)", epoch="ms")
    add(c, f"SELECT mean(\"usage_user\") / 100 FROM \"cpu\" WHERE {tf} GROUP BY time(1h) fill(none)", epoch="ms")
    add(c, f"SELECT mean(\"usage_user\") FROM \"cpu\" WHERE {tf} GROUP BY time(1h), \"host\" fill(null) "
           "ORDER BY time ASC limit 1 slimit 1 tz('Europe/Paris')", epoch="ms")
    add(c, f"SELECT mean(\"used\") FROM \"autogen\"./^(mem|disk)$/ WHERE {tf} GROUP BY time(2h) fill(null)", epoch="ms")
    add(c, f"SELECT \"usage_user\" FROM \"cpu\" WHERE (\"host\" =~ /^server0[12]$/) AND time >= 1699995600000ms and "
           "time <= 1699995780000ms", epoch="ms")
    add(c, f"SELECT non_negative_derivative(mean(\"n\"), 1s) FROM \"cpu\" WHERE (\"host\" = 'server01') AND {tf} "
           "GROUP BY time(20m) fill(null)", epoch="ms")
    add(c, f"SELECT last(\"free\") FROM \"mem\" WHERE {tf} GROUP BY time(1h), \"host\" fill(previous)", epoch="ms")
    add(c, f"SELECT max(\"usage_user\") FROM \"cpu\" WHERE \"host\" < 5 AND {tf} GROUP BY time(1h) fill(0)", epoch="ms")
    add(c, f"SELECT count(\"status\") FROM \"mem\" WHERE \"ok\" = false AND {tf} GROUP BY time(1h) fill(linear)",
        epoch="ms")
    add(c, f"SELECT mean(\"usage_user\") FROM \"cpu\" WHERE {tf} GROUP BY time(1h) fill(null)", epoch="ms",
        method="POST")
    add(c, f"SELECT mean(\"usage_system\") FROM \"cpu\" WHERE {tf} GROUP BY time(1h) fill(0)", epoch="ms",
        rp="autogen")
    add(c, f"SELECT mean(\"temp\") FROM \"weather\" WHERE time >= 1699747200000ms and time <= 1700179200000ms "
           "GROUP BY time(12h), \"station\" fill(null)", epoch="ms")
    add(c, f"SELECT mean(\"usage_user\") FROM \"cpu\" WHERE \"region\" =~ /^$/ AND {tf} GROUP BY time(2h)", epoch="ms")
    add(c, f"SELECT mean(\"usage_user\") FROM \"cpu\" WHERE {tf} GROUP BY time(1h); "
           f"SELECT mean(\"used\") FROM \"mem\" WHERE {tf} GROUP BY time(1h)", epoch="ms")
