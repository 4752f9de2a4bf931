"""The InfluxQL SELECT queries tests/record_select.py asks InfluxDB 1.6.7 (and tests/test_select.py
asks influxlite), by category. Every query that could see now() has explicit time bounds (a few ask
for ``time > now() - 1h``: the data is from 2023, so the answer is empty whenever the test runs).

Windows over the dataset of record_select.py (2023-11-14T20:00Z .. 2023-11-15T02:00Z, cpu one point a
minute per host): ``W`` the whole window, ``S`` ten minutes, ``F`` five minutes.
"""

from __future__ import annotations

W = "time >= '2023-11-14T20:00:00Z' AND time < '2023-11-15T02:00:00Z'"
S = "time >= '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:10:00Z'"
F = "time >= '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:05:00Z'"
H1 = "host = 'server01'"
MS_LO, MS_HI = 1699992000000, 1700013600000  # W in epoch ms, as Grafana sends it

_CASES: list[tuple[str, str, str, dict]] = []


def add(category: str, q: str, db: str = "db", **params) -> None:
    method = params.pop("method", "GET")
    v18 = params.pop("v18", None)
    _CASES.append((category, q, db, dict(params, method=method, v18=v18)))


def raw() -> None:
    c = "raw"
    add(c, f"SELECT * FROM cpu WHERE {S}")
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND {S}")
    add(c, f"SELECT usage_user, host FROM cpu WHERE {F}")
    add(c, f"SELECT host, usage_user, region, n FROM cpu WHERE {F}")
    add(c, f"SELECT time, usage_user FROM cpu WHERE {H1} AND {S}")
    add(c, f"SELECT \"usage_user\" FROM \"cpu\" WHERE \"host\" = 'server02' AND {S}")
    add(c, f"SELECT * FROM mem WHERE {S}")
    add(c, f"SELECT free, status, ok FROM mem WHERE host = 'server02' AND {S}")
    add(c, f"SELECT * FROM disk WHERE time >= '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:30:00Z'")
    add(c, f"SELECT * FROM weather WHERE time >= '2023-11-14T00:00:00Z' AND time < '2023-11-15T00:00:00Z'")
    add(c, "SELECT host FROM weather WHERE time >= '2023-11-16T00:00:00Z' AND time < '2023-11-16T06:00:00Z'")
    add(c, "SELECT temp, station FROM weather WHERE station = 's1' AND time < '2023-11-13T00:00:00Z'")
    add(c, f"SELECT usage_user FROM cpu WHERE host = 'server05'")
    add(c, f"SELECT nope FROM cpu WHERE {S}")
    add(c, f"SELECT * FROM nope WHERE {S}")
    add(c, "SELECT * FROM nope")
    add(c, f"SELECT usage_user, nope FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT host, region FROM cpu WHERE {F}")
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND {F} GROUP BY host")
    add(c, f"SELECT * FROM cpu WHERE {F} GROUP BY host")
    add(c, f"SELECT * FROM cpu WHERE {F} GROUP BY *")
    add(c, f"SELECT usage_user FROM cpu WHERE {F} GROUP BY region")
    add(c, f"SELECT usage_user, region FROM cpu WHERE {F} GROUP BY region")
    add(c, f"SELECT * FROM cpu WHERE host = 'server01' AND region = '' ")
    add(c, f"SELECT usage_user, usage_system, usage_idle, n FROM cpu WHERE host = 'server02' "
           f"AND time >= '2023-11-14T20:58:00Z' AND time < '2023-11-14T21:17:00Z'")
    add(c, "SELECT * FROM cpu WHERE host = 'server04' AND time >= '2023-11-14T21:58:00Z' "
           "AND time <= '2023-11-14T22:02:00Z'")
    add(c, "SELECT * FROM cpu WHERE host = 'server03' AND time >= '2023-11-14T22:55:00Z' "
           "AND time < '2023-11-14T23:35:00Z'")
    add(c, "SELECT * FROM mem WHERE time < '2023-11-14T20:16:00Z'")
    add(c, "SELECT * FROM disk WHERE host = 'server03' AND time < '2023-11-14T20:30:00Z'")
    add(c, "SELECT * FROM cpu WHERE host = 'server08' AND time >= '2023-11-14T23:59:00Z' "
           "AND time < '2023-11-15T00:02:00Z'")


def casts() -> None:
    c = "casts"
    add(c, f"SELECT usage_user::field, host::tag FROM cpu WHERE {F}")
    add(c, f"SELECT host::field, usage_user FROM cpu WHERE {F}")
    add(c, f"SELECT usage_user::tag FROM cpu WHERE {F}")
    add(c, f"SELECT *::field FROM cpu WHERE {F}")
    add(c, f"SELECT *::tag, usage_user FROM cpu WHERE {F}")
    add(c, f"SELECT n::integer, usage_user::float FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT n::float, usage_user::integer FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT status::string, ok::boolean, free::integer FROM mem WHERE {S}")
    add(c, f"SELECT status::integer FROM mem WHERE {S}")
    add(c, f"SELECT host::tag, host::field FROM weather WHERE time < '2023-11-12T06:00:00Z'")
    add(c, f"SELECT station::tag, temp FROM weather WHERE time < '2023-11-12T06:00:00Z'")
    add(c, f"SELECT mean(usage_user::float) FROM cpu WHERE {W}")
    add(c, f"SELECT mean(n::integer) FROM cpu WHERE {W} GROUP BY host")


def aliases() -> None:
    c = "aliases"
    add(c, f"SELECT usage_user AS u, host AS h FROM cpu WHERE {F}")
    add(c, f"SELECT usage_user AS \"my alias\" FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT usage_user, usage_user FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT usage_user AS time FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT mean(usage_user) AS m, max(usage_user) AS x FROM cpu WHERE {W}")
    add(c, f"SELECT mean(usage_user), mean(usage_user) FROM cpu WHERE {W}")
    add(c, f"SELECT mean(usage_user), mean(usage_system), mean(usage_user) AS mean FROM cpu WHERE {W}")
    add(c, f"SELECT usage_user * 2 FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT usage_user * 2 AS dbl, usage_user + n FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT max(usage_user) AS usage_user FROM cpu WHERE {W} GROUP BY host")


def math() -> None:
    c = "math"
    base = f"FROM cpu WHERE {H1} AND {F}"
    for expr in ["usage_user + usage_system", "usage_user - 1", "usage_user * 2", "usage_user / 3",
                 "usage_user / 0", "n / 0", "n % 7", "n % 0", "usage_user % 7", "n + usage_user", "n * 2",
                 "n / 2", "n - 1000", "-usage_user", "- n", "(usage_user + usage_system) * 2 / 3",
                 "usage_user + n * 2.5", "10 / n", "usage_user / n", "n & 255", "n | 1", "n ^ 3",
                 "usage_user & 1", "usage_user + usage_nope", "2 * -usage_user", "usage_user - -1",
                 "1 + 2 * 3 + usage_user", "n * n * n * n", "usage_idle + usage_user + usage_system",
                 "0 / usage_user", "usage_user / usage_user", "n % -7", "-n % 7", "n / 2.0"]:
        add(c, f"SELECT {expr} {base}")
    add(c, f"SELECT free * 1000000000 FROM mem WHERE host = 'server01' AND {S}")
    add(c, f"SELECT free + 9223372036854775807 FROM mem WHERE host = 'server01' AND {S}")
    add(c, f"SELECT status + 'x', ok AND true FROM mem WHERE host = 'server01' AND {S}")
    add(c, f"SELECT used - free FROM mem WHERE host = 'server01' AND {S}")
    add(c, f"SELECT 1 + 1 FROM cpu WHERE {F}")
    add(c, f"SELECT mean(usage_user) * 2 FROM cpu WHERE {W} GROUP BY time(1h)")
    add(c, f"SELECT mean(usage_user) + mean(usage_system) FROM cpu WHERE {W} GROUP BY time(1h)")
    add(c, f"SELECT max(usage_user) - min(usage_user) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT sum(n) / count(n) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT count(usage_user) / 0 FROM cpu WHERE {W}")
    add(c, f"SELECT -mean(usage_user) FROM cpu WHERE {W}")
    add(c, f"SELECT mean(usage_user) / 100 FROM cpu WHERE {W} GROUP BY time(2h) fill(null)")
    add(c, f"SELECT last(n) - first(n) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT mean(usage_user) * 2 AS x, mean(usage_user) FROM cpu WHERE {W} GROUP BY time(2h), host fill(0)")


def where_tags() -> None:
    c = "where_tags"
    for cond in [H1, "host != 'server01'", "host <> 'server01'", "host =~ /server0[12]/", "host !~ /0[1-6]/",
                 "host = 'server01' OR host = 'server02'",
                 "(host = 'server01' OR host = 'server02') AND region = 'us-west'",
                 "host = 'server01' OR (host = 'server02' AND region = 'us-east')", "region = ''", "region != ''",
                 "region =~ /^$/", "region !~ /./", "host = \"server01\"", "host > 'server06'", "host < 'server02'",
                 "host = 'nope'", "\"host\" = 'server01'", "region =~ /us-.*/ AND host !~ /server01/",
                 "host =~ /(?i)SERVER0[34]/", "host =~ /^server0[1-3]$/ AND region = 'eu-central'",
                 "region = 'us-west' OR region = ''", "nope = 'x'", "nope = ''", "nope != 'x'",
                 "host = 'server01' AND host = 'server02'",
                 "host =~ /.*/", "'server01' = host", "host = 'server01' OR usage_user > 79"]:
        add(c, f"SELECT usage_user, host, region FROM cpu WHERE ({cond}) AND {F}")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE region = 'us-west' AND {W} GROUP BY host")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE region = '' AND {W} GROUP BY host, region")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE host !~ /server0[1-4]/ AND {W} GROUP BY host")


def where_fields() -> None:
    c = "where_fields"
    for cond in ["usage_user > 50", "usage_user >= 40 AND usage_user < 60", "n > 1000", "n = 5", "n > 1000.5",
                 "usage_user > usage_system", "usage_user < 5 OR usage_user > 75", "usage_user + usage_system > 90",
                 "usage_user * 2 < 20", "usage_nope > 1", "usage_nope < 1 OR usage_user > 70", "n != 0",
                 "usage_user = 1.5", "usage_user > 50 AND host = 'server01'", "usage_user > '50'", "n < -1",
                 "usage_user > 50 AND region =~ /eu/", "n % 2 = 0", "-usage_user < -70"]:
        add(c, f"SELECT usage_user, n FROM cpu WHERE {cond} AND {S}")
    mem = f"FROM mem WHERE host = 'server01' AND {W}"
    for cond in ["status = 'warn'", "status != 'ok'", "status =~ /w.*/", "status !~ /ok/", "ok = true", "ok = false",
                 "ok != true", "ok = 'true'", "ok", "status = 'warn' OR ok = true", "free > 8000000000",
                 "free < 0", "used > 60.5", "status > 'crit'", "ok = TRUE", "status = warn"]:
        add(c, f"SELECT status, ok, free {mem} AND {cond}")
    add(c, "SELECT temp FROM weather WHERE host = 'server01' AND time < '2023-11-18T00:00:00Z'")
    add(c, "SELECT temp, host FROM weather WHERE host =~ /server0[12]/ AND time < '2023-11-13T00:00:00Z'")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE usage_user > 50 AND {W} GROUP BY host")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE usage_system < 10 AND {W} GROUP BY time(1h)")
    add(c, f"SELECT * FROM cpu WHERE usage_user > 79.5 AND {W}")


def time_ranges() -> None:
    c = "time"
    sel = "SELECT usage_user FROM cpu WHERE host = 'server02' AND "
    for cond in ["time > '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:05:00Z'",
                 "time >= '2023-11-14T21:00:30Z' AND time <= '2023-11-14T21:05:30Z'",
                 "time >= 1699995600s AND time < 1699995900s",
                 "time >= 1699995600000ms AND time < 1699995900000ms",
                 "time >= 1699995600000000u AND time < 1699995900000000u",
                 "time >= 1699995600000000µ AND time < 1699995900000000µ",
                 "time >= 1699995600000000000 AND time < 1699995900000000000",
                 "time >= 1699995600000000000ns AND time < 1699995900000000000ns",
                 "time >= 28333260m AND time < 28333265m",
                 "time >= 472221h AND time < 472222h AND time < '2023-11-14T21:03:00Z'",
                 "time > '2023-11-14 21:00:00' AND time < '2023-11-14 21:04:00'",
                 "time > '2023-11-14T21:00:29.5Z' AND time < '2023-11-14T21:02:30.000000001Z'",
                 "time = '2023-11-14T21:00:30Z'",
                 "time >= '2023-11-14T21:00:00Z' - 5m AND time < '2023-11-14T21:00:00Z'",
                 "time >= 1699995600s + 2m AND time < 1699995600s + 5m",
                 "time >= '2023-11-14T22:00:00+01:00' AND time < '2023-11-14T22:05:00+01:00'",
                 "time >= '2023-11-15T01:55:00Z'", "time < '2023-11-14T20:05:00Z'",
                 "time > '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:00:00Z'",
                 "time < '2023-11-14T21:00:00Z' AND time > '2023-11-14T21:05:00Z'",
                 "time > now() - 1h", "time > '2023-11-14T21:00:00Z' OR time < '2023-11-14T20:05:00Z'",
                 "time != '2023-11-14T21:00:30Z'", "time > 'garbage'", "time > '2023-11-14'",
                 "time >= '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:05:00Z' AND time < '2023-11-14T21:03:00Z'",
                 "(time >= '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:05:00Z')",
                 "time > 1.5", "time > usage_user", "'2023-11-14T21:00:00Z' <= time AND '2023-11-14T21:03:00Z' > time"]:
        add(c, sel + cond)
    add(c, "SELECT count(usage_user) FROM cpu")
    add(c, "SELECT count(usage_user) FROM cpu GROUP BY host")
    add(c, "SELECT usage_user FROM cpu WHERE host = 'server02' LIMIT 3")
    add(c, "SELECT usage_user FROM cpu WHERE host = 'server02' ORDER BY time DESC LIMIT 3")
    add(c, "SELECT count(temp) FROM weather WHERE time < '2023-11-18T00:00:00Z' GROUP BY time(1d)")
    add(c, "SELECT count(temp) FROM weather WHERE time >= '2023-11-12T00:00:00Z' AND time < now() GROUP BY station")


def aggregates() -> None:
    c = "aggregates"
    for fn in ["count", "mean", "median", "mode", "spread", "stddev", "sum", "integral", "distinct"]:
        add(c, f"SELECT {fn}(usage_user) FROM cpu WHERE {W}")
        add(c, f"SELECT {fn}(n) FROM cpu WHERE {W} GROUP BY host")
        add(c, f"SELECT {fn}(usage_user) FROM cpu WHERE {H1} AND {W} GROUP BY time(1h)")
        add(c, f"SELECT {fn}(status) FROM mem WHERE {W} GROUP BY host")
        add(c, f"SELECT {fn}(ok) FROM mem WHERE {W}")
        add(c, f"SELECT {fn}(free) FROM mem WHERE host = 'server01' AND {S}")
    add(c, f"SELECT integral(usage_user, 1m) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT integral(n, 1s) FROM cpu WHERE {H1} AND {W} GROUP BY time(1h)")
    add(c, f"SELECT integral(usage_user, 1h) FROM cpu WHERE {H1} AND {S}")
    add(c, f"SELECT integral(usage_user, 1m) FROM cpu WHERE host =~ /server0[2-5]/ AND {W} GROUP BY host")
    add(c, f"SELECT integral(free) FROM mem WHERE {W} GROUP BY host")
    add(c, f"SELECT count(*) FROM cpu WHERE {W}")
    add(c, f"SELECT count(*) FROM mem WHERE {W} GROUP BY host")
    add(c, f"SELECT count(/usage/) FROM cpu WHERE {W}")
    add(c, f"SELECT mean(*) FROM mem WHERE {W}")
    add(c, f"SELECT sum(*) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT mean(usage_user), count(usage_user), sum(n), stddev(usage_system) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT median(usage_user) FROM cpu WHERE {H1} AND {S}")
    add(c, "SELECT median(n) FROM cpu WHERE host = 'server02' AND time >= '2023-11-14T21:00:00Z' "
           "AND time < '2023-11-14T21:04:00Z'")
    add(c, f"SELECT stddev(usage_user) FROM cpu WHERE {H1} AND time = '2023-11-14T21:00:00Z'")
    add(c, f"SELECT spread(free), mode(status), count(ok) FROM mem WHERE {W}")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE host = 'server03' AND {W} GROUP BY time(30m)")
    add(c, f"SELECT mean(used) FROM disk WHERE {W} GROUP BY host, path")
    add(c, f"SELECT sum(inodes) FROM disk WHERE {W}")
    add(c, "SELECT mean(temp), count(host) FROM weather WHERE time < '2023-11-18T00:00:00Z' GROUP BY station")
    add(c, f"SELECT distinct(status) FROM mem WHERE {W}")
    add(c, f"SELECT distinct(host) FROM cpu WHERE {W}")
    add(c, f"SELECT mode(n) FROM cpu WHERE {W}")


def selectors() -> None:
    c = "selectors"
    for fn in ["first", "last", "max", "min"]:
        add(c, f"SELECT {fn}(usage_user) FROM cpu WHERE {W}")
        add(c, f"SELECT {fn}(n) FROM cpu WHERE {W} GROUP BY host")
        add(c, f"SELECT {fn}(usage_user) FROM cpu WHERE {H1} AND {W} GROUP BY time(1h)")
        add(c, f"SELECT {fn}(status) FROM mem WHERE {W} GROUP BY host")
        add(c, f"SELECT {fn}(ok) FROM mem WHERE {W}")
        add(c, f"SELECT {fn}(usage_user), host, region FROM cpu WHERE {W}")
        add(c, f"SELECT {fn}(usage_user), usage_system, n FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT max(usage_user), min(usage_user) FROM cpu WHERE {W}")
    add(c, f"SELECT max(usage_user), min(usage_user) FROM cpu WHERE {W} GROUP BY time(2h)")
    add(c, f"SELECT first(usage_user), last(usage_user), mean(usage_user) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT max(usage_user), host FROM cpu WHERE {W} GROUP BY time(1h)")
    add(c, f"SELECT first(*) FROM mem WHERE {W}")
    add(c, f"SELECT last(*) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT max(/usage/) FROM cpu WHERE {W}")
    add(c, f"SELECT min(/usage_(user|system)/) FROM cpu WHERE {W} GROUP BY host")
    for p in ["50", "95", "0", "100", "101", "50.5", "-1", "99.9"]:
        add(c, f"SELECT percentile(usage_user, {p}) FROM cpu WHERE {H1} AND {W}")
    add(c, f"SELECT percentile(n, 90) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT percentile(usage_user, 75) FROM cpu WHERE {W} GROUP BY time(1h)")
    add(c, f"SELECT percentile(usage_user, 50), usage_system FROM cpu WHERE {H1} AND {W}")
    add(c, f"SELECT percentile(status, 50) FROM mem WHERE {W}")
    for args in ["usage_user, 3", "usage_user, host, 3", "usage_user, host, region, 2", "n, 5",
                 "usage_user, region, 5"]:
        for fn in ["top", "bottom"]:
            add(c, f"SELECT {fn}({args}) FROM cpu WHERE {W}")
    add(c, f"SELECT top(usage_user, 3) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT top(usage_user, 3), host FROM cpu WHERE {W}")
    add(c, f"SELECT bottom(usage_user, 2), host, usage_system FROM cpu WHERE {W}")
    add(c, f"SELECT top(n, 2) FROM cpu WHERE {H1} AND {W} GROUP BY time(1h)")
    add(c, f"SELECT top(usage_user, host, 2) FROM cpu WHERE {W} GROUP BY time(2h)")
    add(c, f"SELECT bottom(free, 3) FROM mem WHERE {W}")
    add(c, f"SELECT top(status, 3) FROM mem WHERE {W}")
    add(c, f"SELECT top(usage_user, 100) FROM cpu WHERE {H1} AND {F}")
    add(c, f"SELECT top(usage_user, 3) FROM cpu WHERE host = 'server02' AND time >= '2023-11-14T21:10:00Z' "
           "AND time < '2023-11-14T21:20:00Z'")
    add(c, f"SELECT sample(usage_user, 1000) FROM cpu WHERE {H1} AND {S}")
    add(c, f"SELECT sample(usage_user, 100) FROM cpu WHERE {S} GROUP BY host")
    add(c, f"SELECT sample(status, 500) FROM mem WHERE host = 'server02' AND {S}")


def transformations() -> None:
    c = "transformations"
    raw_where = f"WHERE host = 'server02' AND time >= '2023-11-14T20:50:00Z' AND time < '2023-11-14T21:20:00Z'"
    for fn in ["derivative(usage_user)", "derivative(usage_user, 1m)", "derivative(n, 1s)",
               "non_negative_derivative(n)", "non_negative_derivative(n, 1s)",
               "non_negative_derivative(usage_user, 1m)",
               "difference(n)", "difference(usage_user)", "non_negative_difference(n)",
               "non_negative_difference(usage_user)", "moving_average(usage_user, 3)", "moving_average(n, 2)",
               "moving_average(usage_user, 100)", "cumulative_sum(n)", "cumulative_sum(usage_user)",
               "elapsed(usage_user)", "elapsed(usage_user, 1s)", "elapsed(n, 1m)", "elapsed(usage_user, 1h)"]:
        add(c, f"SELECT {fn} FROM cpu {raw_where}")
    add(c, f"SELECT derivative(usage_user, 1m) FROM cpu WHERE {S} GROUP BY host")
    add(c, f"SELECT non_negative_derivative(n, 1m) FROM cpu WHERE {W} AND n < 100 GROUP BY host")
    add(c, f"SELECT difference(n) FROM cpu WHERE {F} GROUP BY *")
    add(c, f"SELECT elapsed(status, 1s) FROM mem WHERE host = 'server01' AND {S}")
    add(c, f"SELECT difference(status) FROM mem WHERE host = 'server01' AND {S}")
    add(c, f"SELECT cumulative_sum(n) FROM cpu WHERE {H1} AND {S} ORDER BY time DESC")
    add(c, f"SELECT derivative(usage_user) FROM cpu WHERE {H1} AND {S} ORDER BY time DESC")
    grp = f"FROM cpu WHERE {H1} AND {W} GROUP BY time(30m)"
    for fn in ["derivative(mean(usage_user))", "derivative(mean(usage_user), 1m)",
               "non_negative_derivative(max(n), 1s)",
               "non_negative_derivative(last(n))", "difference(mean(usage_user))", "difference(count(n))",
               "non_negative_difference(max(n))", "moving_average(mean(usage_user), 2)", "moving_average(sum(n), 3)",
               "cumulative_sum(mean(usage_user))", "cumulative_sum(count(usage_user))", "derivative(spread(n), 10m)",
               "derivative(mean(usage_user)), mean(usage_user)", "moving_average(max(usage_user), 2), max(usage_user)"]:
        add(c, f"SELECT {fn} {grp}")
    sparse = "FROM weather WHERE time >= '2023-11-13T12:00:00Z' AND time < '2023-11-15T06:00:00Z' GROUP BY time(3h)"
    for fn in ["derivative(mean(temp), 1h)", "difference(mean(temp))", "moving_average(mean(temp), 2)",
               "cumulative_sum(count(temp))"]:
        add(c, f"SELECT {fn} {sparse}")
        add(c, f"SELECT {fn} {sparse} fill(0)")
    add(c, f"SELECT derivative(mean(temp), 1h) {sparse} fill(previous)")
    add(c, f"SELECT moving_average(mean(temp), 2) {sparse} fill(linear)")
    add(c, f"SELECT derivative(mean(usage_user), 1m) FROM cpu WHERE {W} GROUP BY time(1h), host")
    add(c, f"SELECT difference(max(n)) FROM cpu WHERE {W} GROUP BY time(2h), host fill(none)")
    add(c, f"SELECT derivative(mean(usage_user)) FROM cpu WHERE {W} GROUP BY time(1h) ORDER BY time DESC")
    add(c, f"SELECT cumulative_sum(mean(usage_user)) FROM cpu WHERE {W} GROUP BY time(1h) LIMIT 2 OFFSET 1")


def math_functions() -> None:
    c = "math_functions"
    base = f"FROM cpu WHERE {H1} AND {F}"
    for fn in ["abs(usage_user - 50)", "sin(usage_user)", "cos(usage_user)", "tan(usage_user)",
               "asin(usage_user / 100)",
               "acos(usage_user / 100)", "atan(usage_user)", "atan2(usage_user, usage_system)", "exp(usage_user / 10)",
               "ln(usage_user)", "log(usage_user, 10)", "log2(usage_user)", "log10(usage_user)", "sqrt(usage_user)",
               "pow(usage_user, 2)", "floor(usage_user)", "ceil(usage_user)", "round(usage_user)", "abs(n)",
               "floor(n)", "sqrt(n)", "asin(usage_user)", "ln(-usage_user)", "pow(n, 0.5)", "round(-usage_user)"]:
        add(c, f"SELECT {fn} {base}")
    # 1.6.7 returns abs() of an integer unchanged; 1.8 (query/math.go) takes the absolute value.
    add(c, f"SELECT abs(n - 2100), abs(-n) {base}", v18="abs_int")
    add(c, f"SELECT abs(mean(usage_user)) FROM cpu WHERE {W} GROUP BY time(2h)")
    add(c, f"SELECT round(mean(usage_user)) FROM cpu WHERE {W} GROUP BY host")
    add(c, f"SELECT sqrt(sum(n)) FROM cpu WHERE {W}")
    add(c, f"SELECT abs(status) FROM mem WHERE {S}")
    add(c, f"SELECT abs() {base}")
    add(c, f"SELECT pow(usage_user) {base}")


def group_by_tags() -> None:
    c = "group_by_tags"
    agg = f"SELECT count(usage_user), mean(usage_user) FROM cpu WHERE {W}"
    for g in ["host", "host, region", "region, host", "*", "/reg/", "/.*/", "\"host\"", "nope", "host, nope",
              "region", "usage_user", "host, time(2h)", "time(2h), region", "/^h/, /^r/"]:
        add(c, f"{agg} GROUP BY {g}")
    add(c, f"SELECT mean(used) FROM disk WHERE {W} GROUP BY *")
    add(c, f"SELECT mean(used) FROM disk WHERE {W} GROUP BY path")
    add(c, f"SELECT mean(temp) FROM weather WHERE time < '2023-11-18T00:00:00Z' GROUP BY host")
    add(c, f"SELECT max(free) FROM mem WHERE {W} GROUP BY host, status")


def group_by_time() -> None:
    c = "group_by_time"
    one = f"SELECT mean(usage_user) FROM cpu WHERE {H1} AND "
    win = "time >= '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:30:00Z'"
    add(c, f"{one}{win} GROUP BY time(5m)")
    add(c, f"{one}{win} GROUP BY time(7m)")
    add(c, f"{one}{win} GROUP BY time(5m, 2m)")
    add(c, f"{one}{win} GROUP BY time(5m, -2m)")
    add(c, f"{one}{win} GROUP BY time(5m, 7m)")
    add(c, f"{one}time >= '2023-11-14T21:03:00Z' AND time < '2023-11-14T21:31:00Z' GROUP BY time(10m)")
    add(c, f"{one}time >= '2023-11-14T21:03:00Z' AND time <= '2023-11-14T21:30:00Z' GROUP BY time(10m)")
    add(c, f"{one}time >= '2023-11-14T21:03:00Z' AND time < '2023-11-14T21:31:00Z' GROUP BY time(10m, 3m)")
    add(c, f"{one}time > '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:30:00Z' GROUP BY time(10m)")
    add(c, f"{one}{W} GROUP BY time(1d)")
    add(c, f"{one}{W} GROUP BY time(1w)")
    add(c, f"{one}{W} GROUP BY time(90m)")
    add(c, f"{one}{W} GROUP BY time(3600s)")
    add(c, f"{one}{W} GROUP BY time(1h) LIMIT 2")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE {W} GROUP BY time(1h)")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE {W} GROUP BY time(1h), host")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE host = 'server03' AND {W} GROUP BY time(15m) fill(none)")
    sp = "FROM weather WHERE station = 's1' AND time >= '2023-11-13T18:00:00Z' AND time < '2023-11-15T00:00:00Z'"
    for fill in ["", " fill(null)", " fill(none)", " fill(previous)", " fill(linear)", " fill(0)", " fill(-1.5)",
                 " fill(100)", " fill(1e3)"]:
        add(c, f"SELECT mean(temp) {sp} GROUP BY time(2h){fill}")
        add(c, f"SELECT count(temp), max(temp) {sp} GROUP BY time(4h){fill}")
    add(c, f"SELECT sum(n) FROM cpu WHERE host = 'server03' AND {W} GROUP BY time(10m) fill(linear)")
    add(c, f"SELECT sum(n) FROM cpu WHERE host = 'server03' AND {W} GROUP BY time(10m) fill(previous)")
    add(c, f"SELECT sum(n) FROM cpu WHERE host = 'server03' AND {W} GROUP BY time(10m) fill(7)")
    add(c, f"SELECT sum(n) FROM cpu WHERE host = 'server03' AND {W} GROUP BY time(10m) fill(2.5)")
    add(c, "SELECT last(status) FROM mem WHERE host = 'server01' AND time >= '2023-11-14T19:50:00Z' AND "
           f"{S.split(' AND ')[1]} "
           "GROUP BY time(10m) fill(previous)")
    add(c, f"SELECT last(status) FROM mem WHERE host = 'server01' AND {W} GROUP BY time(1h) fill('x')")
    add(c, f"SELECT mean(temp) {sp} GROUP BY time(2h), station fill(linear)")
    add(c, f"SELECT mean(temp) FROM weather WHERE time >= '2023-11-13T22:00:00Z' AND time < '2023-11-14T22:00:00Z' "
           "GROUP BY time(6h), station fill(previous)")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h) fill(none) LIMIT 3 OFFSET 1")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE time >= '2023-11-15T01:00:00Z' AND time < '2023-11-15T05:00:00Z' "
           "GROUP BY time(1h)")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE time >= '2023-11-14T17:00:00Z' AND time < '2023-11-14T21:00:00Z' "
           "GROUP BY time(1h) fill(previous)")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE time >= '2023-11-14T17:00:00Z' AND time < '2023-11-14T21:00:00Z' "
           "GROUP BY time(1h) fill(linear)")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE {W} GROUP BY time(1m) LIMIT 3")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE time >= '2023-11-14T21:00:00Z' GROUP BY time(1h) LIMIT 8")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE time <= '2023-11-14T21:00:00Z' AND {H1} GROUP BY time(1h)")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(0s)")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(-1h)")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h, 2h)")


def timezones() -> None:
    c = "tz"
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND {F} tz('Europe/Paris')")
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND {F} tz('America/New_York')")
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND {F} tz('UTC')")
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND {F} tz('Asia/Kolkata')")
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND {F} tz('Nope/Zone')")
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND {F} tz('Europe/Paris')", epoch="ms")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h) tz('Europe/Paris')")
    add(c, f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1d) tz('Europe/Paris')")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE {W} GROUP BY time(1d) tz('America/New_York')")
    add(c, f"SELECT count(usage_user) FROM cpu WHERE {W} GROUP BY time(1d) tz('Asia/Kolkata')")
    add(c, "SELECT count(temp) FROM weather WHERE time >= '2023-11-12T00:00:00Z' AND time < '2023-11-17T00:00:00Z' "
           "GROUP BY time(1d) tz('Asia/Tokyo')")
    add(c, "SELECT mean(usage_user) FROM cpu WHERE time >= '2023-11-14T21:00:00+01:00' "
           "AND time < '2023-11-15T01:00:00+01:00' "
           "GROUP BY time(1h) tz('Europe/Paris')")
    add(c, f"SELECT max(usage_user) FROM cpu WHERE {W} tz('Europe/Paris')")
    add(c, f"SELECT max(usage_user) FROM cpu WHERE {W} GROUP BY time(2h) tz('Asia/Kolkata')")
    add(c, f"SELECT usage_user FROM cpu WHERE {H1} AND time >= '2023-11-14 22:00:00' AND time < '2023-11-14 22:03:00' "
           "tz('Europe/Paris')")


def order_limit() -> None:
    c = "order_limit"
    raw = f"SELECT usage_user FROM cpu WHERE {H1} AND {S}"
    for tail in ["ORDER BY time DESC", "ORDER BY time ASC", "ORDER BY time", "LIMIT 3", "LIMIT 3 OFFSET 2",
                 "OFFSET 8", "LIMIT 0", "OFFSET 100", "ORDER BY time DESC LIMIT 2",
                 "ORDER BY time DESC LIMIT 2 OFFSET 1",
                 "ORDER BY host", "ORDER BY time DESC, host", "LIMIT -1", "ORDER BY usage_user DESC"]:
        add(c, f"{raw} {tail}")
    per = f"SELECT usage_user FROM cpu WHERE {S} GROUP BY host"
    for tail in ["LIMIT 2", "LIMIT 2 OFFSET 8", "SLIMIT 2", "SLIMIT 2 SOFFSET 3", "SOFFSET 6", "SLIMIT 0",
                 "SOFFSET 100",
                 "LIMIT 1 SLIMIT 3 SOFFSET 1", "ORDER BY time DESC LIMIT 1 SLIMIT 2",
                 "SLIMIT 2 SOFFSET 1 LIMIT 2 OFFSET 2"]:
        add(c, f"{per} {tail}")
    agg = f"SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(1h), host"
    for tail in ["ORDER BY time DESC", "LIMIT 2", "SLIMIT 2", "ORDER BY time DESC LIMIT 2 SLIMIT 2 SOFFSET 2",
                 "LIMIT 2 OFFSET 5", "fill(none) LIMIT 1"]:
        add(c, f"{agg} {tail}")
    add(c, f"SELECT * FROM cpu WHERE {F} ORDER BY time DESC LIMIT 5")
    add(c, f"SELECT * FROM cpu, mem WHERE {F} LIMIT 3")
    add(c, f"SELECT max(usage_user) FROM cpu WHERE {W} GROUP BY host ORDER BY time DESC SLIMIT 3")
    add(c, f"SELECT top(usage_user, 5) FROM cpu WHERE {W} LIMIT 2")
    add(c, f"SELECT top(usage_user, 5) FROM cpu WHERE {W} ORDER BY time DESC")


def multi_measurement() -> None:
    c = "multi_measurement"
    add(c, f"SELECT * FROM cpu, mem WHERE host = 'server01' AND {F}")
    add(c, f"SELECT * FROM /^(cpu|mem)$/ WHERE host = 'server01' AND {F}")
    add(c, f"SELECT count(*) FROM /^(cpu|disk)$/ WHERE {W}")
    add(c, f"SELECT count(*) FROM /.*/ WHERE {W}")
    add(c, f"SELECT * FROM /nomatch/ WHERE {W}")
    add(c, f"SELECT mean(used) FROM mem, disk WHERE {W} GROUP BY host")
    add(c, f"SELECT host FROM cpu, weather WHERE time >= '2023-11-14T21:00:00Z' AND time < '2023-11-14T21:01:00Z'")
    add(c, f"SELECT usage_user, free FROM cpu, mem WHERE host = 'server02' AND {F}")
    add(c, f"SELECT max(usage_user), max(free) FROM cpu, mem WHERE {W} GROUP BY host")
    add(c, f"SELECT * FROM cpu, cpu WHERE {H1} AND {F}")
    add(c, f"SELECT * FROM /m/ WHERE {F}")
    add(c, "SELECT used FROM /^d/, mem WHERE host = 'server01' AND time >= '2023-11-14T21:00:00Z' "
           "AND time < '2023-11-14T21:15:00Z'")


def db_rp() -> None:
    c = "db_rp"
    add(c, "SELECT * FROM db.rp1d.cpu WHERE time < '2023-11-14T20:30:00Z'")
    add(c, "SELECT * FROM rp1d.cpu WHERE time < '2023-11-14T20:30:00Z'")
    add(c, "SELECT * FROM \"rp1d\".\"cpu\" WHERE time < '2023-11-14T20:30:00Z'")
    add(c, "SELECT * FROM cpu WHERE time < '2023-11-14T20:30:00Z'", rp="rp1d")
    add(c, "SELECT mean(usage_user) FROM cpu WHERE time < '2023-11-15T03:00:00Z' GROUP BY time(1h)", rp="rp1d")
    add(c, f"SELECT * FROM \"db\".\"autogen\".\"cpu\" WHERE {H1} AND {F}")
    add(c, f"SELECT * FROM db..cpu WHERE {H1} AND {F}")
    add(c, f"SELECT * FROM autogen.cpu WHERE {H1} AND {F}", rp="rp1d")
    add(c, "SELECT * FROM db2.autogen.m WHERE time < '2023-11-14T21:00:00Z'")
    add(c, "SELECT * FROM db2..m WHERE time < '2023-11-14T21:00:00Z'")
    add(c, "SELECT * FROM db2.autogen.m WHERE time < '2023-11-14T21:00:00Z'", db="")
    add(c, "SELECT mean(value) FROM m WHERE time < '2023-11-15T03:00:00Z' GROUP BY host", db="db2")
    add(c, "SELECT * FROM m WHERE time < '2023-11-14T21:00:00Z'")
    add(c, f"SELECT * FROM cpu WHERE {F}", db="")
    add(c, f"SELECT * FROM cpu WHERE {F}", db="nope")
    add(c, f"SELECT * FROM nope.autogen.cpu WHERE {F}")
    add(c, f"SELECT * FROM db.nope.cpu WHERE {F}")
    add(c, f"SELECT * FROM cpu WHERE {F}", rp="nope")
    add(c, f"SELECT * FROM short.cpu WHERE {F}")
    add(c, "SELECT * FROM db.rp1d.cpu, db.autogen.mem WHERE host = 'server01' AND time < '2023-11-14T20:15:00Z'")
    add(c, "SELECT count(*) FROM db.rp1d./.*/ WHERE time < '2023-11-16T00:00:00Z'")


def subqueries() -> None:
    c = "subqueries"
    add(c, f"SELECT max(mean) FROM (SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(10m), host)")
    add(c, f"SELECT max(mean) FROM (SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(10m), host) GROUP BY host")
    add(c, f"SELECT mean(max) FROM (SELECT max(usage_user) FROM cpu WHERE {W} GROUP BY host)")
    add(c, f"SELECT * FROM (SELECT usage_user FROM cpu WHERE {H1} AND {F})")
    add(c, f"SELECT * FROM (SELECT usage_user, host FROM cpu WHERE {F})")
    add(c, f"SELECT * FROM (SELECT usage_user FROM cpu WHERE {F} GROUP BY host)")
    add(c, f"SELECT sum(u) FROM (SELECT usage_user AS u FROM cpu WHERE {H1} AND {W})")
    add(c, f"SELECT u FROM (SELECT usage_user + usage_system AS u FROM cpu WHERE {S}) WHERE u > 80")
    add(c, f"SELECT u FROM (SELECT usage_user + usage_system AS u FROM cpu WHERE {S} GROUP BY host) WHERE u > 80")
    add(c, f"SELECT max(m) FROM (SELECT max(mean) AS m FROM (SELECT mean(usage_user) FROM cpu WHERE {W} "
           "GROUP BY time(30m), host) GROUP BY host)")
    add(c, f"SELECT mean(mean) FROM (SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(10m), host) "
           "WHERE time >= '2023-11-14T22:00:00Z' AND time < '2023-11-14T23:00:00Z' GROUP BY time(20m)")
    add(c, f"SELECT count(host) FROM (SELECT usage_user, host FROM cpu WHERE {S})")
    add(c, f"SELECT top(m, 3) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE {W} GROUP BY host)")
    add(c, f"SELECT top(m, host, 3) FROM (SELECT mean(usage_user) AS m FROM cpu WHERE {W} GROUP BY host)")
    add(c, f"SELECT mean(usage_user) FROM (SELECT * FROM cpu WHERE {S}) GROUP BY region")
    add(c, f"SELECT derivative(mean, 10m) FROM (SELECT mean(usage_user) FROM cpu WHERE {H1} AND {W} GROUP BY time(1h))")
    add(c, f"SELECT max(diff) FROM (SELECT difference(n) AS diff FROM cpu WHERE {S} GROUP BY host)")
    add(c, f"SELECT mean(usage_user) FROM (SELECT usage_user FROM cpu WHERE {W}) WHERE {S} GROUP BY time(5m)")
    add(c, f"SELECT sum(c) FROM (SELECT count(usage_user) AS c FROM cpu WHERE {W} GROUP BY time(1h), host) "
           f"WHERE {W} GROUP BY time(2h)")
    add(c, f"SELECT mean FROM (SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(2h))")
    add(c, f"SELECT * FROM (SELECT mean(usage_user) FROM cpu WHERE {W} GROUP BY time(2h), host) "
           "WHERE host = 'server01'")
    add(c, f"SELECT free FROM (SELECT * FROM mem WHERE {S}) WHERE status = 'warn'")
    add(c, f"SELECT max(usage_user) FROM (SELECT usage_user FROM cpu WHERE {W}), (SELECT usage_user FROM rp1d.cpu "
           f"WHERE {W})")
    add(c, f"SELECT a FROM (SELECT usage_user AS a, usage_user * 2 AS b FROM cpu WHERE {H1} AND {F}) WHERE b > 50")
    add(c, f"SELECT mean(usage_user) FROM (SELECT usage_user FROM cpu WHERE {F}) WHERE {F} GROUP BY time(1m)")
    add(c, f"SELECT mean(usage_user) FROM (SELECT usage_user FROM cpu WHERE {F}) GROUP BY time(1m) fill(none)")


def categories() -> list:
    import select_queries_more as more

    return [raw, casts, aliases, math, where_tags, where_fields, time_ranges, aggregates, selectors,
            transformations, math_functions, group_by_tags, group_by_time, timezones, order_limit,
            multi_measurement, db_rp, subqueries, more.count_distinct, more.epochs, more.multi_statement,
            more.errors, more.grafana]


def queries() -> list[dict]:
    """Every case with a unique id ``<category>-<n>``: q, db, method, params (the /query parameters but
    q and db), and ``v18`` (the name of record_select.V18's rewrite) where InfluxDB 1.8 answers otherwise."""
    _CASES.clear()
    for build in categories():
        build()
    out, counts = [], {}
    for category, q, db, params in _CASES:
        counts[category] = counts.get(category, 0) + 1
        method, v18 = params.pop("method"), params.pop("v18")
        case = {"id": f"{category}-{counts[category]:03d}", "category": category, "q": q, "db": db,
                "method": method, "params": params}
        if v18:
            case["v18"] = v18
        out.append(case)
    return out
