"""Records InfluxDB's answers with ``[http] auth-enabled = true`` (``CASES``) into
``tests/fixtures/http_auth.json``, which tests/test_http_auth.py compares influxlite with.

    apt-get install influxdb && python tests/record_http_auth.py

It starts its own ``influxd`` (Debian's 1.6.7) through record_http_fixtures' ``Influxd`` with
``INFLUXDB_HTTP_AUTH_ENABLED=true``. The set-up query bootstraps a user ``boot`` which creates
database ``db`` (policies ``autogen`` and ``short``) and drops itself: the cases start
with database ``db`` and no user at all, the state influxlite's tests start from. The cases are
sent in order on one keep-alive connection (later ones see the users earlier ones made):
bootstrap, the credential schemes, then admin / reader / writer / nopriv / allu (ALL on
``other``) against each endpoint, password change and DROP USER, and the lock-out once no admin
is left.

Where 1.8 answers differently from the recorded 1.6.7 (read in 1.8.10's services/httpd/handler.go:
the ``Token user:password`` scheme and ``/api/v2/write`` are 1.8's, ``/health`` too), the case
carries ``v18``: ``{"same_as": <case>}`` (1.8 answers exactly as that recorded case) or
``{"status": N, "errors": [...]}``. Where influxlite departs from both on purpose, the case
carries ``influxlite`` in the same form, with the reason beside it.
"""

from __future__ import annotations

import base64
import json
import pathlib
import shutil
import sys
from urllib.parse import urlencode

from record_http_fixtures import Influxd, send

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "http_auth.json"
T = 1_700_000_000_000_000_000
SETUP = ("CREATE USER boot WITH PASSWORD 'boot' WITH ALL PRIVILEGES",)
# Then, as boot (a database created within the bootstrap query itself is not kept by 1.6.7):
AS_BOOT = "CREATE DATABASE db; CREATE RETENTION POLICY short ON db DURATION 1h REPLICATION 1; DROP USER boot"
USERS = {"admin": "adminpw", "reader": "rpw", "writer": "wpw", "nopriv": "npw", "allu": "apw"}


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def token(user: str, password: str) -> dict:
    return {"Authorization": f"Token {user}:{password}"}


def q(query: str, **params) -> str:
    return "/query?" + urlencode(dict(params, q=query))


def _case(name: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None, **extra) -> dict:
    case = {"name": name, "method": method, "path": path, "headers": headers or {}}
    if body is not None:
        case["body"] = body
    case.update(extra)
    return case


def _bootstrap_cases() -> list[dict]:
    """No user at all: writes refused, queries refused unless they start by making an admin."""
    return [
        _case("a_ping", "GET", "/ping"),
        _case("a_write_no_creds", "POST", "/write?db=db", body=b"m v=1 %d\n" % T),
        _case("a_write_bad_creds_ignored", "POST", "/write?db=db&u=x&p=y", body=b"m v=1 %d\n" % T),
        _case("a_write_unknown_db", "POST", "/write?db=nope", body=b"m v=1 %d\n" % T),
        _case("a_v2_write", "POST", "/api/v2/write?bucket=db", token("x", "y"), b"m v=1 %d\n" % T,
              v18={"status": 403, "errors": ['user is required to write to database "db"']}),
        _case("a_show_databases", "GET", q("SHOW DATABASES")),
        _case("a_create_nonadmin_user", "POST", q("CREATE USER bob WITH PASSWORD 'bobpw'")),
        _case("a_admin_second", "POST", q("SHOW DATABASES; CREATE USER root WITH PASSWORD 'r' WITH ALL PRIVILEGES")),
        _case("a_parse_error", "GET", q("SELEC 1")),
        _case("a_missing_q", "GET", "/query"),
        _case("a_bootstrap", "POST", q("CREATE USER admin WITH PASSWORD 'adminpw' WITH ALL PRIVILEGES")),
    ]


def _scheme_cases() -> list[dict]:
    """An admin exists: every request but /ping must authenticate."""
    ok = basic("admin", "adminpw")
    return [
        _case("b_ping", "GET", "/ping"),
        _case("b_ping_bad_creds", "GET", "/ping?u=admin&p=wrong"),
        _case("b_health_no_creds", "GET", "/health", v18={"status": 200}),
        _case("b_write_no_creds", "POST", "/write?db=db", body=b"m v=1 %d\n" % T),
        _case("b_write_unknown_db_no_creds", "POST", "/write?db=nope", body=b"m v=1 %d\n" % T),
        _case("b_v2_write_no_creds", "POST", "/api/v2/write?bucket=db", body=b"m v=1 %d\n" % T,
              v18={"same_as": "b_write_no_creds"}),
        _case("b_query_no_creds", "GET", q("SHOW DATABASES")),
        _case("b_query_no_creds_missing_q", "GET", "/query"),
        _case("b_query_u_only", "GET", q("SHOW DATABASES", u="admin")),
        _case("b_query_p_only", "GET", q("SHOW DATABASES", p="adminpw")),
        _case("b_query_params_ok", "GET", q("SHOW DATABASES", u="admin", p="adminpw")),
        _case("b_query_params_bad_password", "GET", q("SHOW DATABASES", u="admin", p="wrong")),
        _case("b_query_params_unknown_user", "GET", q("SHOW DATABASES", u="ghost", p="adminpw")),
        _case("b_query_basic_ok", "GET", q("SHOW DATABASES"), ok),
        _case("b_query_basic_bad_password", "GET", q("SHOW DATABASES"), basic("admin", "wrong")),
        _case("b_query_basic_unknown_user", "GET", q("SHOW DATABASES"), basic("ghost", "x")),
        _case("b_query_basic_empty_user", "GET", q("SHOW DATABASES"), basic("", "adminpw")),
        _case("b_query_basic_no_colon", "GET", q("SHOW DATABASES"),
              {"Authorization": "Basic " + base64.b64encode(b"adminadminpw").decode()}),
        _case("b_query_basic_not_base64", "GET", q("SHOW DATABASES"), {"Authorization": "Basic !!!"}),
        _case("b_query_basic_lowercase", "GET", q("SHOW DATABASES"),
              {"Authorization": "basic " + ok["Authorization"][6:]}),
        _case("b_query_params_win", "GET", q("SHOW DATABASES", u="admin", p="wrong"), ok),
        _case("b_query_header_when_no_p", "GET", q("SHOW DATABASES", u="admin"), ok),
        _case("b_query_token_ok", "GET", q("SHOW DATABASES"), token("admin", "adminpw"),
              v18={"same_as": "b_query_basic_ok"}),
        _case("b_query_token_bad_password", "GET", q("SHOW DATABASES"), token("admin", "wrong"),
              v18={"same_as": "b_query_basic_bad_password"}),
        _case("b_query_token_empty_user", "GET", q("SHOW DATABASES"), token("", "adminpw"),
              v18={"same_as": "b_query_basic_empty_user"}),
        _case("b_query_token_no_colon", "GET", q("SHOW DATABASES"), {"Authorization": "Token adminadminpw"}),
        _case("b_query_token_three_parts", "GET", q("SHOW DATABASES"), {"Authorization": "Token admin: adminpw"}),
        # 1.6.7 sends its error variable's typo ("disabld"); 1.8 writes the text out.
        _case("b_query_bearer", "GET", q("SHOW DATABASES"), {"Authorization": "Bearer abc.def.ghi"},
              v18={"status": 401, "errors": ["bearer auth disabled"]}),
        _case("b_query_form_creds_ignored", "POST", "/query",
              {"Content-Type": "application/x-www-form-urlencoded"},
              urlencode({"q": "SHOW DATABASES", "u": "admin", "p": "adminpw"}).encode()),
        _case("b_query_bad_creds_parse_error", "GET", q("SELEC 1", u="admin", p="wrong")),
        _case("b_options_no_creds", "OPTIONS", "/query"),
        _case("b_make_users", "POST", q(
            "CREATE DATABASE other; CREATE USER reader WITH PASSWORD 'rpw'; CREATE USER writer WITH PASSWORD 'wpw'; "
            "CREATE USER nopriv WITH PASSWORD 'npw'; CREATE USER allu WITH PASSWORD 'apw'; "
            "GRANT READ ON db TO reader; GRANT WRITE ON db TO writer; GRANT ALL ON other TO allu"), ok),
    ]


def _user_cases(user: str) -> list[dict]:
    """One user against each endpoint; ``compare: status`` where the body depends on the
    implementation (SELECT, SHOW SHARDS, SHOW QUERIES) rather than on authorization."""
    pw = USERS[user]
    up = {"u": user, "p": pw}
    cases = [
        _case(f"{user}_write", "POST", f"/write?db=db&u={user}&p={pw}", body=b"m,who=%s v=1 %d\n" % (user.encode(), T)),
        _case(f"{user}_write_other", "POST", f"/write?db=other&u={user}&p={pw}", body=b"m v=1 %d\n" % T),
        _case(f"{user}_v2_write", "POST", "/api/v2/write?bucket=db&precision=ns", token(user, pw),
              b"m,who=%s v=2 %d\n" % (user.encode(), T), v18={"same_as": f"{user}_write"}),
        _case(f"{user}_show_measurements", "GET", q("SHOW MEASUREMENTS", db="db"), basic(user, pw)),
        _case(f"{user}_show_measurements_on", "GET", q("SHOW MEASUREMENTS ON db", **up)),
        _case(f"{user}_show_rp", "GET", q("SHOW RETENTION POLICIES ON db", **up)),
        _case(f"{user}_create_database", "POST", q(f"CREATE DATABASE made_by_{user}", **up)),
        _case(f"{user}_show_databases", "GET", q("SHOW DATABASES", **up)),
        _case(f"{user}_show_users", "GET", q("SHOW USERS", **up)),
        _case(f"{user}_show_grants", "GET", q("SHOW GRANTS FOR reader", **up)),
        _case(f"{user}_set_own_password", "POST", q(f"SET PASSWORD FOR {user} = '{pw}'", **up)),
        _case(f"{user}_create_user", "POST", q(f"CREATE USER made_by_{user} WITH PASSWORD 'secretpw'", **up)),
        _case(f"{user}_drop_series", "POST", q("DROP SERIES FROM nothing WHERE who = 'z'", db="db", **up)),
        _case(f"{user}_delete", "POST", q("DELETE FROM nothing", db="db", **up)),
        _case(f"{user}_drop_rp", "POST", q("DROP RETENTION POLICY nope ON db", **up)),
        _case(f"{user}_drop_measurement", "POST", q("DROP MEASUREMENT nothing", db="db", **up)),
        _case(f"{user}_show_shards", "GET", q("SHOW SHARDS", **up), compare="status"),
        _case(f"{user}_show_queries", "GET", q("SHOW QUERIES", **up), compare="status"),
        _case(f"{user}_select", "GET", q("SELECT * FROM m", db="db", **up), compare="status"),
        _case(f"{user}_select_into", "POST", q("SELECT * INTO other..m2 FROM m", db="db", **up), compare="status"),
        _case(f"{user}_two_statements", "GET", q("SHOW MEASUREMENTS; SHOW USERS", db="db", **up)),
        _case(f"{user}_ping", "GET", f"/ping?u={user}&p=wrong"),
    ]
    return cases


def _lifecycle_cases() -> list[dict]:
    """A changed password and a dropped user are refused at once; then the lock-out of 1.x
    once no admin is left (authentication is skipped, every query lacks a user)."""
    ok = basic("admin", "adminpw")
    return [
        _case("c_writer_before", "POST", "/write?db=db&u=writer&p=wpw", body=b"m v=3 %d\n" % T),
        _case("c_set_password", "POST", q("SET PASSWORD FOR writer = 'wpw2'"), ok),
        _case("c_writer_old_password", "POST", "/write?db=db&u=writer&p=wpw", body=b"m v=3 %d\n" % T),
        _case("c_writer_new_password", "POST", "/write?db=db&u=writer&p=wpw2", body=b"m v=3 %d\n" % T),
        _case("c_reader_before", "GET", q("SHOW MEASUREMENTS", db="db", u="reader", p="rpw")),
        _case("c_drop_user", "POST", q("DROP USER reader"), ok),
        _case("c_reader_dropped", "GET", q("SHOW MEASUREMENTS", db="db", u="reader", p="rpw")),
        _case("c_recreate_reader", "POST", q("CREATE USER reader WITH PASSWORD 'other'"), ok),
        # InfluxDB's auth cache outlives DROP USER (only SET PASSWORD clears it): the new user of
        # that name is let in with the dropped one's password. influxlite refuses it.
        _case("c_reader_recreated_old_password", "GET", q("SHOW MEASUREMENTS", db="db", u="reader", p="rpw"),
              influxlite={"status": 401, "errors": ["authorization failed"]}),
        _case("c_reader_recreated_no_grant", "GET", q("SHOW MEASUREMENTS", db="db", u="reader", p="other")),
        _case("c_revoke_admin", "POST", q("REVOKE ALL PRIVILEGES FROM admin"), ok),
        _case("c_no_admin_query", "GET", q("SHOW DATABASES"), ok),
        _case("c_no_admin_query_no_creds", "GET", q("SHOW DATABASES")),
        _case("c_no_admin_bootstrap_again", "POST", q("CREATE USER root WITH PASSWORD 'r' WITH ALL PRIVILEGES")),
        _case("c_no_admin_write", "POST", "/write?db=db&u=writer&p=wpw2", body=b"m v=4 %d\n" % T),
    ]


CASES: list[dict] = (_bootstrap_cases() + _scheme_cases()
                     + [c for user in USERS for c in _user_cases(user)] + _lifecycle_cases())


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    server = Influxd(env={"INFLUXDB_HTTP_AUTH_ENABLED": "true"}, setup=SETUP)
    try:
        version = server.version()
        out, conn = send(server.port, {"method": "POST", "path": q(AS_BOOT, u="boot", p="boot")})
        assert out["status"] == 200 and "error" not in out["body"], out
        answers: dict[str, dict] = {}
        for case in CASES:
            answers[case["name"]], conn = send(server.port, case, conn)
        if conn is not None:
            conn.close()
    finally:
        server.stop()
    FIXTURE.write_text(json.dumps({"influxdb_version": version, "answers": answers}, indent=1,
                                  ensure_ascii=False) + "\n")
    print(f"recorded {len(answers)} answers of InfluxDB {version} in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
