"""The ``dealbase`` command."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Connection

from dealbase.errors import BadInput
from dealbase.settings import Settings

T = TypeVar("T")

app = typer.Typer(
    help="dealbase: a self-hosted sales CRM server that speaks the Pipedrive REST API (v1 and v2).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
DatabaseUrl = Annotated[str | None, typer.Option(help="Database URL. (env DEALBASE_DATABASE_URL)")]


def _settings(**overrides) -> Settings:
    """Environment (env DEALBASE_*) first, then any flag given on the command line."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on. (env DEALBASE_HOST; default 127.0.0.1)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on. (env DEALBASE_PORT; default 8000)")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL: sqlite:///file.db or postgresql://user@host/db. (env DEALBASE_DATABASE_URL; default sqlite:///dealbase.db)"
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes. (env DEALBASE_WORKERS; default 1)")] = None,
    api_token: Annotated[
        str | None, typer.Option(help="The admin's API token on first start. (env DEALBASE_API_TOKEN; default random)")
    ] = None,
    company_name: Annotated[
        str | None, typer.Option(help="Company made on first start. (env DEALBASE_COMPANY_NAME)")
    ] = None,
    company_domain: Annotated[
        str | None, typer.Option(help="Its company domain (users/me, e-mail addresses). (env DEALBASE_COMPANY_DOMAIN)")
    ] = None,
    admin_name: Annotated[str | None, typer.Option(help="The first admin's name. (env DEALBASE_ADMIN_NAME)")] = None,
    admin_email: Annotated[
        str | None, typer.Option(help="The first admin's e-mail. (env DEALBASE_ADMIN_EMAIL)")
    ] = None,
    default_currency: Annotated[
        str | None,
        typer.Option(help="The first admin's default currency. (env DEALBASE_DEFAULT_CURRENCY; default USD)"),
    ] = None,
    max_body_bytes: Annotated[
        int | None, typer.Option(help="Largest request body accepted. (env DEALBASE_MAX_BODY_BYTES; default 1 MiB)")
    ] = None,
    log_level: Annotated[
        str | None, typer.Option(help="Server log level. (env DEALBASE_LOG_LEVEL; default info)")
    ] = None,
    files_dir: Annotated[
        str | None,
        typer.Option(help="Folder for uploaded files. (env DEALBASE_FILES_DIR; default dealbase-files)"),
    ] = None,
    max_upload_bytes: Annotated[
        int | None, typer.Option(help="Largest uploaded file. (env DEALBASE_MAX_UPLOAD_BYTES; default 50 MiB)")
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="Base of download and picture links. (env DEALBASE_PUBLIC_URL; default http://<host>:<port>)"
        ),
    ] = None,
    rate_limits: Annotated[
        bool | None,
        typer.Option(
            "--rate-limits/--no-rate-limits",
            help="Enforce Pipedrive's daily token budget and burst window. (env DEALBASE_RATE_LIMITS; default off)",
        ),
    ] = None,
    plan: Annotated[
        str | None,
        typer.Option(
            help="Plan the rate limits follow: lite, growth, premium, ultimate. (env DEALBASE_PLAN; default lite)"
        ),
    ] = None,
    seats: Annotated[
        int | None, typer.Option(help="Seats the daily token budget counts. (env DEALBASE_SEATS; default 1)")
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            help="Keep rate limit counters in Redis, shared by several servers. (env DEALBASE_REDIS_URL; default in memory)"
        ),
    ] = None,
    redis_prefix: Annotated[
        str | None, typer.Option(help="Prefix of the Redis keys. (env DEALBASE_REDIS_PREFIX; default dealbase)")
    ] = None,
    sandbox: Annotated[
        bool | None,
        typer.Option(
            "--sandbox/--no-sandbox",
            help="The integration developer's server: the control plane on (/_dealbase/), webhook receivers on "
            "this machine allowed, the first company filled with demo data. (env DEALBASE_SANDBOX; default off)",
        ),
    ] = None,
    smtp_port: Annotated[
        int | None,
        typer.Option(help="Take Smart BCC mail over SMTP on this port. (env DEALBASE_SMTP_PORT; default off)"),
    ] = None,
    smtp_host: Annotated[
        str | None, typer.Option(help="Address the SMTP receiver listens on. (env DEALBASE_SMTP_HOST; default 127.0.0.1)")
    ] = None,
    smtp_domain: Annotated[
        str | None,
        typer.Option(
            help="Mail domain of the companies' Smart BCC addresses. (env DEALBASE_SMTP_DOMAIN; default pipedrivemail.com)"
        ),
    ] = None,
) -> None:
    """Run the API server (migrating the database first).

    The first start on an empty database creates a company, an admin user and an API
    token, and prints the token. Set DEALBASE_API_TOKEN to choose that token. In sandbox
    mode the control token (DEALBASE_CONTROL_TOKEN, else a random one) is printed too.
    """
    # every parameter is a setting of the same name
    settings = _settings(**locals())

    import uvicorn

    from dealbase import sandbox as sandboxes
    from dealbase.bootstrap import ensure_company
    from dealbase.store.db import create_db_engine, migrate

    if settings.sandbox:
        settings = sandboxes.serving(settings)
    migrate(settings.database_url)
    engine = create_db_engine(settings.database_url)
    created = ensure_company(engine, settings)
    if created is not None and settings.sandbox:
        with engine.connect().execution_options(dealbase_write=True) as conn:
            sandboxes.fill(conn, created.company_id, sandboxes.Seed("demo"))
            conn.commit()
    handed_out = _admin_password(engine, settings)
    engine.dispose()
    if created is not None:
        console.print(f"Created company {settings.company_name!r} with admin {settings.admin_email}.")
        console.print(f"API token: [bold]{created.token}[/bold]")
    if handed_out is not None:
        console.print(f"Web app sign-in: {handed_out[0]} with the password [bold]{handed_out[1]}[/bold] (shown once)")
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"dealbase serving v1 at {base}/v1 and {base}/api/v1, v2 at {base}/api/v2")
    console.print(f"Web app at {base}/")
    if settings.control_token:
        console.print(f"Control plane at {base}/_dealbase/")
        console.print(f"Control token: [bold]{settings.control_token}[/bold]")
    if settings.smtp_port is not None:
        console.print(f"Smart BCC mail over SMTP at {settings.smtp_host}:{settings.smtp_port}")
    # One SMTP receiver holds the port: with several workers, this process runs it and the
    # workers (whose lifespan would each start one) are not told the port.
    receiver = None
    if settings.smtp_port is not None and settings.workers > 1:
        from dealbase.smtp import Receiver

        receiver = Receiver(create_db_engine(settings.database_url), settings)
        receiver.start()
    # Worker processes build the app from the environment: hand them these settings.
    for name, value in settings.model_dump().items():
        if value is not None:
            os.environ[f"DEALBASE_{name.upper()}"] = str(value)
    if receiver is not None:
        del os.environ["DEALBASE_SMTP_PORT"]
    try:
        uvicorn.run(
            "dealbase.app:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            access_log=False,
            loop="auto",
            http="auto",
        )
    finally:
        if receiver is not None:
            receiver.stop()
            receiver.handler.engine.dispose()


def _admin_password(engine, settings: Settings) -> tuple[str, str] | None:
    """The first admin's web app password: ``DEALBASE_ADMIN_PASSWORD`` when set (and not theirs
    yet), else a random one when they have none (the first start); (e-mail, password) when a
    random one was made, to print once."""
    from dealbase.store import companies, web_sessions
    from dealbase.store import repository as repo
    from dealbase.store.tables import users
    from dealbase.web import accounts

    with engine.connect().execution_options(dealbase_write=True) as conn:
        company_id = companies.first_id(conn)
        admin_id = companies.first_admin_id(conn, company_id) if company_id is not None else None
        if admin_id is None:
            return None
        admin = repo.get(conn, users, company_id, admin_id)
        given = settings.admin_password
        stored = web_sessions.password_hash(conn, company_id, admin_id)
        if given is not None and (stored is None or not accounts.verifies(stored, given)):
            try:
                accounts.set_password(conn, company_id, admin_id, given)
            except BadInput as refused:
                raise typer.BadParameter(f"DEALBASE_ADMIN_PASSWORD: {refused.message}") from None
            conn.commit()
            return None
        if given is None and stored is None:
            made = accounts.new_password()
            accounts.set_password(conn, company_id, admin_id, made)
            conn.commit()
            return admin["email"], made
    return None


@app.command()
def migrate(
    database_url: DatabaseUrl = None,
) -> None:
    """Bring the database schema up to date, without serving."""
    from dealbase.store.db import migrate as run

    settings = _settings(database_url=database_url)
    run(settings.database_url)
    console.print("Database is up to date.")


apps = typer.Typer(help="OAuth 2.0 apps that users of this server can install.", no_args_is_help=True)
app.add_typer(apps, name="app")


@apps.command("create")
def app_create(
    name: Annotated[str, typer.Option(help="The app's name, shown on the consent page.")],
    redirect_uri: Annotated[list[str], typer.Option(help="Its callback URL (repeat the option for several).")],
    scopes: Annotated[
        list[str],
        typer.Option(help="Scopes it asks for, e.g. deals:full contacts:read (several, comma-separated or repeated)."),
    ],
    more_scopes: Annotated[list[str] | None, typer.Argument(metavar="SCOPES", show_default=False)] = None,
    company_id: Annotated[
        int | None, typer.Option(help="The company it belongs to (default: the database's first company).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Register an OAuth app and print its client id and secret (the secret is shown only once)."""
    from dealbase.api.operation_policy import POLICY
    from dealbase.domain import oauth
    from dealbase.store import companies
    from dealbase.store.db import create_db_engine
    from dealbase.store.db import migrate as run_migrations

    known = {scope for _cost, allowed in POLICY.values() for scope in allowed}
    wanted = oauth.parse_scopes([*scopes, *(more_scopes or [])])
    unknown = [scope for scope in wanted if scope not in known]
    if unknown:
        raise typer.BadParameter(f"unknown scope(s): {', '.join(unknown)}", param_hint="--scopes")
    bad = [uri for uri in redirect_uri if not oauth.valid_uri(uri)]
    if bad:
        raise typer.BadParameter(f"not an absolute URI: {', '.join(bad)}", param_hint="--redirect-uri")
    settings = _settings(database_url=database_url)
    run_migrations(settings.database_url)
    engine = create_db_engine(settings.database_url)
    try:
        with engine.connect().execution_options(dealbase_write=True) as conn:
            owner = company_id if company_id is not None else companies.first_id(conn)
            if owner is None:
                console.print("No company yet: start the server once (dealbase serve) to create it.")
                raise typer.Exit(1)
            if not companies.exists(conn, owner):
                console.print(f"No company with id {owner}.")
                raise typer.Exit(1)
            client_id, secret = oauth.register_app(conn, owner, name, list(dict.fromkeys(redirect_uri)), wanted)
            conn.commit()
    finally:
        engine.dispose()
    typer.echo(f"Created app {name!r} in company {owner}.")
    typer.echo(f"client_id: {client_id}")
    typer.echo(f"client_secret: {secret}")
    typer.echo(f"scopes: {oauth.granted(','.join(wanted))}")
    first = oauth.with_params(
        f"{settings.base_url}/oauth/authorize", {"client_id": client_id, "redirect_uri": redirect_uri[0]}
    )
    typer.echo(f"authorize: {first}")


companies_app = typer.Typer(
    help="Companies, each with its own data and API tokens (the sandbox's).", no_args_is_help=True
)
app.add_typer(companies_app, name="company")
SeedOption = Annotated[str | None, typer.Option("--seed", help="What to fill it with: empty or demo.")]
SeedValueOption = Annotated[int | None, typer.Option(help="The demo data's seed: the same one, the same data.")]
DealsOption = Annotated[int | None, typer.Option(help="How many deals the demo data has (default about 100).")]


@contextmanager
def _writing(database_url: str | None) -> Iterator[tuple[Settings, Connection]]:
    """The database (migrated first) in one transaction, committed at the end."""
    from dealbase.store.db import create_db_engine
    from dealbase.store.db import migrate as run_migrations

    settings = _settings(database_url=database_url)
    run_migrations(settings.database_url)
    engine = create_db_engine(settings.database_url)
    try:
        with engine.connect().execution_options(dealbase_write=True) as conn:
            yield settings, conn
            conn.commit()
    finally:
        engine.dispose()


def _checked(read: Callable[[dict[str, Any]], T], body: dict[str, Any]) -> T:
    """The control plane's reading of its body, refusals as the CLI's."""
    try:
        return read({k: v for k, v in body.items() if v is not None})
    except BadInput as refused:
        raise typer.BadParameter(refused.message) from None


def _print_company(company: dict[str, Any]) -> None:
    typer.echo(f"Company {company['id']} {company['name']!r} ({company['domain']})")
    typer.echo(f"API token: {company['api_token']}")
    typer.echo(f"Plan: {company['plan']}, {company['seats']} seat(s)")
    for user in company["users"]:
        role = "admin" if user["is_admin"] else "user"
        typer.echo(f"  user {user['id']} {user['name']} <{user['email']}> ({role}): {user['api_token']}")


@companies_app.command("create")
def company_create(
    name: Annotated[str | None, typer.Option(help="The company's name.")] = None,
    plan: Annotated[
        str | None,
        typer.Option(help="The plan its rate limits follow: lite, growth, premium, ultimate. (default DEALBASE_PLAN)"),
    ] = None,
    seats: Annotated[
        int | None, typer.Option(help="The seats its daily token budget counts. (default DEALBASE_SEATS)")
    ] = None,
    seed: SeedOption = None,
    seed_value: SeedValueOption = None,
    deals: DealsOption = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make a company with an admin and an API token, and print its tokens."""
    from dealbase import sandbox

    given = {"name": name, "plan": plan, "seats": seats, "seed": seed, "seed_value": seed_value, "deals": deals}
    spec = _checked(sandbox.read_new_company, given)
    with _writing(database_url) as (settings, conn):
        made = sandbox.create(conn, spec, settings)
    _print_company(made)


@companies_app.command("list")
def company_list(database_url: DatabaseUrl = None) -> None:
    """List the companies: id, name, domain, users, the admin's API token (tab-separated)."""
    from dealbase import sandbox

    with _writing(database_url) as (_settings_used, conn):
        found = sandbox.describe_all(conn)
    for company in found:
        shown = (company["id"], company["name"], company["domain"], len(company["users"]), company["api_token"])
        typer.echo("\t".join(str(part) for part in shown))


def _unknown(company_id: int) -> typer.Exit:
    typer.echo(f"No company with id {company_id}.", err=True)
    return typer.Exit(1)


@companies_app.command("delete")
def company_delete(
    company_id: Annotated[int, typer.Argument(metavar="ID")],
    database_url: DatabaseUrl = None,
) -> None:
    """Delete a company: every row and stored file of it."""
    from dealbase import sandbox

    with _writing(database_url) as (settings, conn):
        gone = sandbox.delete(conn, company_id)
        if gone is None:
            raise _unknown(company_id)
    sandbox.remove_files(settings.files_dir, company_id)
    typer.echo(f"Deleted company {company_id}.")


@companies_app.command("reset")
def company_reset(
    company_id: Annotated[int, typer.Argument(metavar="ID")],
    seed: SeedOption = None,
    seed_value: SeedValueOption = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Bring a company back to a new company's state (or the demo data), its tokens kept."""
    from dealbase import sandbox

    wanted = _checked(sandbox.read_reset, {"seed": seed, "seed_value": seed_value})
    with _writing(database_url) as (_settings_used, conn):
        company = sandbox.reset(conn, company_id, wanted)
        if company is None:
            raise _unknown(company_id)
    _print_company(company)


@app.command("seed")
def seed_demo(
    seed_value: SeedValueOption = None,
    deals: DealsOption = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add the demo data set to the database's first company."""
    from dealbase import sandbox
    from dealbase.store import companies

    wanted = _checked(sandbox.read_seed, {"seed": "demo", "seed_value": seed_value, "deals": deals})
    with _writing(database_url) as (_settings_used, conn):
        first = companies.first_id(conn)
        if first is None:
            typer.echo("No company yet: start the server once (dealbase serve) to create it.", err=True)
            raise typer.Exit(1)
        sandbox.fill(conn, first, wanted)
    typer.echo(f"Seeded company {first} with the demo data.")


users_app = typer.Typer(help="A company's users and their API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="user")
CompanyOption = Annotated[int | None, typer.Option(help="The user's company (default: the database's first company).")]


def _company_unit(conn: Connection, company_id: int | None):
    """A unit of work in the company, acting as its first admin."""
    from dealbase.domain.unit import as_first_admin
    from dealbase.store import companies

    owner = company_id if company_id is not None else companies.first_id(conn)
    if owner is None:
        typer.echo("No company yet: start the server once (dealbase serve) to create it.", err=True)
        raise typer.Exit(1)
    if not companies.exists(conn, owner):
        raise _unknown(owner)
    return as_first_admin(conn, owner)


@users_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The user's e-mail address (unique in the company).")],
    name: Annotated[str, typer.Option(help="The user's name.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin of the company.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the user's web app password from standard input.")
    ] = False,
    company_id: CompanyOption = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a user to a company and print their API token."""
    from dealbase.domain import users
    from dealbase.web import accounts

    password = _read_password() if password_stdin else None
    with _writing(database_url) as (_settings_used, conn):
        unit = _company_unit(conn, company_id)
        try:
            row, token = users.add(unit, users.read_email(email), name=name.strip() or None, is_admin=admin)
            if password is not None:
                accounts.set_password(conn, unit.company_id, row["id"], password)
        except BadInput as refused:
            raise typer.BadParameter(refused.message) from None
    typer.echo(f"Created user {row['id']} {row['name']} <{row['email']}> in company {unit.company_id}.")
    typer.echo(token)


def _read_password() -> str:
    """A password from standard input (its first line), checked before anything is written."""
    import sys

    from dealbase.web import accounts

    line = sys.stdin.readline().rstrip("\r\n")
    try:
        return accounts.check_password(line)
    except BadInput as refused:
        raise typer.BadParameter(refused.message) from None


def _user_by_email(conn: Connection, company_id: int, email: str) -> dict[str, Any]:
    """The company's user with this e-mail address; the command fails, saying so, without one."""
    from dealbase.store import users as users_store

    row = users_store.by_email(conn, company_id, email.strip())
    if row is None:
        typer.echo(f"No user with the e-mail address {email} in company {company_id}.", err=True)
        raise typer.Exit(1)
    return row


@users_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The user's e-mail address.")],
    company_id: CompanyOption = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a user's web app password, read from standard input; their open sessions end."""
    from dealbase.web import accounts

    password = _read_password()
    with _writing(database_url) as (_settings_used, conn):
        unit = _company_unit(conn, company_id)
        row = _user_by_email(conn, unit.company_id, email)
        accounts.set_password(conn, unit.company_id, row["id"], password)
    typer.echo(f"Password set for {row['email']} in company {unit.company_id}.")


@users_app.command("token")
def user_token(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The user's e-mail address.")],
    regenerate: Annotated[
        bool, typer.Option("--regenerate", help="Replace the token: the old one stops working at once.")
    ] = False,
    company_id: CompanyOption = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print a user's API token (a new one with --regenerate)."""
    from dealbase.domain import users
    from dealbase.store import users as users_store

    with _writing(database_url) as (_settings_used, conn):
        unit = _company_unit(conn, company_id)
        row = _user_by_email(conn, unit.company_id, email)
        token = users_store.api_token(conn, unit.company_id, row["id"])
        if regenerate or token is None:
            token = users.regenerate_token(unit, row)
    if not row["active_flag"]:
        typer.echo(f"{row['email']} is deactivated: the token answers 401 until they are active again.", err=True)
    typer.echo(token)


webhooks_app = typer.Typer(help="Webhook deliveries, for debugging.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("deliveries")
def webhook_deliveries(
    webhook_id: Annotated[int | None, typer.Option(help="Only this webhook's deliveries.")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="Only these: pending, delivered, failed, dropped (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    database_url: DatabaseUrl = None,
) -> None:
    """List webhook deliveries: status, tries, the receiver's last answer."""
    from rich.table import Table

    from dealbase.store import webhooks as store
    from dealbase.store.db import create_db_engine

    engine = create_db_engine(_settings(database_url=database_url).database_url)
    with engine.connect() as conn:
        rows = store.deliveries(conn, webhook_id=webhook_id, statuses=status or (), limit=limit)
    engine.dispose()
    table = Table("id", "webhook", "event", "entity", "action", "status", "tries", "last try", "HTTP", "error")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["webhook_id"]),
            row["event_id"],
            row["entity_key"],
            row["action"],
            row["status"],
            str(row["attempts"]),
            row["last_attempt_time"] or "",
            "" if row["last_http_status"] is None else str(row["last_http_status"]),
            row["last_error"] or "",
        )
    console.print(table)


mail_app = typer.Typer(help="E-mail taken in as Smart BCC takes it.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")


@mail_app.command("import")
def mail_import(
    files: Annotated[list[Path], typer.Argument(help=".eml files (one message each) or mbox files.", exists=True)],
    company: Annotated[int | None, typer.Option(help="Whose mail (default: the database's first company).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Take in messages as Smart BCC does: threaded, linked to persons and their open deals."""
    from itertools import chain

    from dealbase.domain.mail_ingest import ingest_many
    from dealbase.mail_files import messages

    with _writing(database_url) as (settings, conn):
        unit = _company_unit(conn, company)
        report = ingest_many(unit, chain.from_iterable(messages(f) for f in files), settings.files_dir)
    for position, reason in report.refused:
        typer.echo(f"message {position} refused: {reason}", err=True)
    typer.echo(
        f"{report.stored} messages stored ({report.with_problems} with problems noted), "
        f"{report.duplicates} already there, {len(report.refused)} refused."
    )


if __name__ == "__main__":  # pragma: no cover
    app()
