"""Settings: typed FOLIO_* variables (choices, bounds, secrets), `.env`, providers chosen by
name, the generated docs table, and where the core may still read the process environment."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import settings as settings_module
from pipelines.settings import (
    DOCS_FILE,
    ENV_NAMES,
    Settings,
    SettingsError,
    docs_table,
    get_settings,
    load_settings,
    markdown_table,
)

ROOT = Path(__file__).resolve().parent.parent


def _error(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    return str(caught.value)


# --- the documented table -------------------------------------------------------------------


def test_the_documented_table_is_the_one_the_models_generate():
    """Regenerate with `python -m pipelines.settings --write-docs` when this fails."""
    assert docs_table(DOCS_FILE.read_text()) == markdown_table()


def test_the_table_lists_every_variable_once_with_its_default():
    rows = [r for r in markdown_table().splitlines()[2:]]
    names = [re.match(r"\| `([A-Z0-9_]+)` \|", r).group(1) for r in rows]
    assert sorted(names) == sorted(ENV_NAMES.values()) and len(set(names)) == len(names)
    assert (
        "| `FOLIO_EXECUTOR` | run | `in_process` \\| `multiprocess` \\| `celery` | `in_process` |"
        in (markdown_table())
    )
    assert "| `FOLIO_QUARANTINE_MAX_RATIO` | county | float ≥ 0, ≤ 1 | `0.01` |" in markdown_table()
    assert "| `SENDGRID_API_KEY` | email | secret | — |" in markdown_table()


def test_every_field_reads_folio_and_its_name_except_the_providers_own_keys():
    own = {f: n for f, n in ENV_NAMES.items() if n != f"FOLIO_{f.upper()}"}
    assert own == {
        "anthropic_api_key": "ANTHROPIC_API_KEY",
        "anthropic_base_url": "ANTHROPIC_BASE_URL",
        "sendgrid_api_key": "SENDGRID_API_KEY",
        "twilio_account_sid": "TWILIO_ACCOUNT_SID",
        "twilio_auth_token": "TWILIO_AUTH_TOKEN",
        "stripe_webhook_secret": "STRIPE_WEBHOOK_SECRET",
    }


def test_defaults_are_the_specs():
    s = load_settings({})
    assert (s.executor, s.schedules, s.email_provider, s.outreach_provider) == (
        "in_process",
        "running",
        "",
        "",
    )
    assert (s.resolved_email_provider, s.resolved_outreach_provider) == ("file", "file")
    assert (s.listing_scorer, s.resolved_listing_scorer) == ("auto", "rules")
    assert (s.data_dir, s.quarantine_max_ratio, s.listing_batch_size) == (Path("data"), 0.01, 5000)
    assert (s.daily_priority, s.daily_cron, s.celery_queue, s.source_auth_param) == (
        "HIGH",
        "0 6 * * 1-5",
        "dagster",
        "authKey",
    )


# --- refused values -------------------------------------------------------------------------


def test_a_typo_in_a_choice_is_refused_naming_the_variable():
    assert _error({"FOLIO_EXECUTOR": "celry"}) == (
        "FOLIO_EXECUTOR='celry': must be one of 'in_process', 'multiprocess' or 'celery'"
    )
    assert _error({"FOLIO_SCHEDULES": "Stopped"}) == (
        "FOLIO_SCHEDULES='Stopped': must be one of 'running' or 'stopped'"
    )
    assert _error({"FOLIO_EMAIL_PROVIDER": "sendgird"}) == (
        "FOLIO_EMAIL_PROVIDER='sendgird': must be one of '', 'file' or 'sendgrid'"
    )


def test_values_out_of_bounds_are_refused_and_the_edges_accepted():
    assert _error({"FOLIO_LISTING_BATCH_SIZE": "0"}) == (
        "FOLIO_LISTING_BATCH_SIZE='0': must be greater than or equal to 1"
    )
    assert _error({"FOLIO_QUARANTINE_MAX_RATIO": "1.5"}) == (
        "FOLIO_QUARANTINE_MAX_RATIO='1.5': must be less than or equal to 1"
    )
    assert _error({"FOLIO_HOT_LEAD_MIN_SCORE": "101", "FOLIO_AI_TIMEOUT_SECONDS": "0"}) == (
        "FOLIO_AI_TIMEOUT_SECONDS='0': must be greater than 0; "
        "FOLIO_HOT_LEAD_MIN_SCORE='101': must be less than or equal to 100"
    )
    assert _error({"FOLIO_TIMEZONE": "Mars/Olympus"}) == (
        "FOLIO_TIMEZONE='Mars/Olympus': not a time zone (an IANA name like America/New_York)"
    )
    assert _error({"FOLIO_OUTREACH_ALLOWED_FROM": "8am"}) == (
        "FOLIO_OUTREACH_ALLOWED_FROM='8am': not a time of day (HH:MM, HH:MM:SS or HH:MM:SS.ffffff)"
    )
    assert _error({"FOLIO_DAILY_START_DATE": "01/02/2026"}).startswith(
        "FOLIO_DAILY_START_DATE='01/02/2026': must be a valid date"
    )
    edges = load_settings(
        {
            "FOLIO_RETRY_DELAY_SCALE": "0",
            "FOLIO_SENDING_STALE_SECONDS": "0",
            "FOLIO_QUARANTINE_MAX_RATIO": "1",
            "FOLIO_HOT_LEAD_MIN_SCORE": "100",
        }
    )
    assert (edges.retry_delay_scale, edges.sending_stale_seconds) == (0.0, 0)
    assert (edges.quarantine_max_ratio, edges.hot_lead_min_score) == (1.0, 100)


def test_the_folio_command_prints_the_error_as_one_line_without_a_traceback(monkeypatch):
    from pipelines.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("FOLIO_EXECUTOR", "celry")
    result = CliRunner().invoke(main, ["health"])
    assert result.exit_code == 1
    assert result.output == (
        "error: FOLIO_EXECUTOR='celry': must be one of 'in_process', 'multiprocess' or 'celery'\n"
    )


# --- where values come from -----------------------------------------------------------------


def test_a_dotenv_in_the_working_directory_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_text(
        "# comments and blank lines are fine\n\n"
        "FOLIO_EXECUTOR=multiprocess\n"
        "FOLIO_AI_MODEL=from-dotenv\n"
        "SENDGRID_API_KEY=SG.from-dotenv-1234\n"
    )
    monkeypatch.chdir(work)
    monkeypatch.setattr(settings_module, "ENV_FILE", ".env")
    monkeypatch.setenv("FOLIO_AI_MODEL", "from-environment")
    s = get_settings()
    assert (s.executor, s.ai_model) == ("multiprocess", "from-environment")
    assert s.sendgrid_api_key.get_secret_value() == "SG.from-dotenv-1234"
    assert s.resolved_email_provider == "sendgrid"  # the key alone chooses (left empty)
    # a changed file is read again
    (work / ".env").write_text("FOLIO_EXECUTOR=in_process\nFOLIO_LISTING_BATCH_SIZE=7\n")
    s = get_settings()
    assert (s.executor, s.listing_batch_size, s.ai_model) == ("in_process", 7, "from-environment")
    assert s.resolved_email_provider == "file"
    # and a bad value in it is refused like one in the environment
    (work / ".env").write_text("FOLIO_EXECUTOR=celry\n")
    with pytest.raises(SettingsError, match=r"^FOLIO_EXECUTOR='celry': must be one of"):
        get_settings()


def test_a_changed_variable_is_seen_at_the_next_read(monkeypatch):
    assert get_settings().listing_batch_size == 5000
    monkeypatch.setenv("FOLIO_LISTING_BATCH_SIZE", "3")
    assert get_settings().listing_batch_size == 3
    assert get_settings() is get_settings()  # unchanged: not validated again


def test_load_settings_given_a_mapping_reads_that_mapping_alone(monkeypatch):
    monkeypatch.setenv("FOLIO_AI_MODEL", "from-environment")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.from-environment")
    s = load_settings({"folio_listing_batch_size": "2"})  # names in any case
    assert (s.ai_model, s.listing_batch_size) == ("claude-sonnet-4-5", 2)
    assert s.sendgrid_api_key.get_secret_value() == ""


# --- secrets --------------------------------------------------------------------------------

SECRETS = {
    "SENDGRID_API_KEY": "SG.canary-sendgrid-5521",
    "TWILIO_AUTH_TOKEN": "canary-twilio-token-8812",
    "ANTHROPIC_API_KEY": "sk-ant-canary-3390",
    "STRIPE_WEBHOOK_SECRET": "whsec_canary-7764",
    "FOLIO_ADMIN_API_KEY": "canary-admin-1180",
    "FOLIO_LINK_SECRET": "canary-link-4406",
    "FOLIO_WEBHOOK_SECRET": "canary-webhook-9931",
    "FOLIO_RECORDS_API_KEY": "canary-records-2257",
    "FOLIO_SOURCE_AUTH_KEY": "canary-source-6618",
    "FOLIO_SFTP_PASSWORD": "canary-sftp-0042",
    "FOLIO_SFTP_KEY_PASSPHRASE": "canary-passphrase-7301",
    "FOLIO_ADMIN_WEBHOOK_URL": "https://hooks.slack.com/services/canary-hook-5150",
    "FOLIO_CELERY_BROKER": "pyamqp://guest:canary-broker-3131@127.0.0.1//",
}


def test_every_secret_is_a_secret_field():
    assert {ENV_NAMES[f] for f in settings_module.SECRET_FIELDS} == set(SECRETS)


def test_no_secret_appears_in_a_repr_a_log_a_dump_or_an_error(caplog):
    caplog.set_level(logging.DEBUG)
    s = load_settings(SECRETS)
    assert s.twilio_auth_token.get_secret_value() == SECRETS["TWILIO_AUTH_TOKEN"]
    logging.getLogger("folio.test").info("settings: %s / %r", s, s)
    with pytest.raises(SettingsError) as caught:
        load_settings({**SECRETS, "FOLIO_EXECUTOR": "celry"})
    shown = "\n".join(
        [repr(s), str(s), s.model_dump_json(), str(s.model_dump()), caplog.text, str(caught.value)]
    )
    for value in SECRETS.values():
        assert value not in shown
    assert "SecretStr('**********')" in repr(s)


def test_urls_that_may_carry_a_password_are_left_out_of_the_repr():
    s = load_settings(
        {
            "FOLIO_DATABASE_URL": "postgresql://folio:db-canary-1@db/folio",
            "FOLIO_SOURCE_URL": "https://county.example/files?authKey=src-canary-2",
            "FOLIO_RECORDS_API_URL": "https://records.example/?key=rec-canary-3",
        }
    )
    assert s.database_url == "postgresql://folio:db-canary-1@db/folio"
    for canary in ("db-canary-1", "src-canary-2", "rec-canary-3"):
        assert canary not in repr(s)


# --- providers chosen by name ---------------------------------------------------------------


def test_a_provider_chosen_without_its_key_is_refused_naming_what_is_missing():
    assert _error({"FOLIO_EMAIL_PROVIDER": "sendgrid"}) == (
        "FOLIO_EMAIL_PROVIDER=sendgrid needs SENDGRID_API_KEY (not set)"
    )
    assert _error({"FOLIO_OUTREACH_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC123"}) == (
        "FOLIO_OUTREACH_PROVIDER=twilio needs TWILIO_AUTH_TOKEN and FOLIO_TWILIO_FROM (not set)"
    )
    assert _error({"FOLIO_LISTING_SCORER": "ai"}) == (
        "FOLIO_LISTING_SCORER=ai needs ANTHROPIC_API_KEY (not set)"
    )
    assert _error({"FOLIO_EXECUTOR": "celery"}) == (
        "FOLIO_EXECUTOR=celery needs FOLIO_CELERY_BROKER (not set)"
    )


def test_a_named_provider_wins_over_a_key_and_an_empty_one_follows_the_key():
    keys = {
        "SENDGRID_API_KEY": "SG.k-123456",
        "TWILIO_ACCOUNT_SID": "AC1",
        "ANTHROPIC_API_KEY": "a",
    }
    by_key = load_settings(keys)
    assert (by_key.resolved_email_provider, by_key.resolved_outreach_provider) == (
        "sendgrid",
        "twilio",
    )
    assert by_key.resolved_listing_scorer == "ai"
    named = load_settings(
        {
            **keys,
            "FOLIO_EMAIL_PROVIDER": "file",
            "FOLIO_OUTREACH_PROVIDER": "file",
            "FOLIO_LISTING_SCORER": "rules",
        }
    )
    assert (named.resolved_email_provider, named.resolved_outreach_provider) == ("file", "file")
    assert named.resolved_listing_scorer == "rules"


def test_senders_chosen_in_code_without_their_key_say_which_key(monkeypatch):
    from pipelines.notify.email import open_email_sender
    from resources.scoring import ListingScorerResource

    with pytest.raises(SettingsError) as caught:
        open_email_sender("sendgrid")
    assert str(caught.value) == "the SendGrid email provider needs SENDGRID_API_KEY (not set)"
    with pytest.raises(SettingsError) as caught:
        ListingScorerResource(kind="ai").scorer()
    assert str(caught.value) == "the AI listing scorer needs ANTHROPIC_API_KEY (not set)"
    assert type(open_email_sender()).__name__ == "FileOutbox"  # nothing set: the file outbox
    assert type(ListingScorerResource().scorer()).__name__ == "RuleScorer"


# --- the process environment ----------------------------------------------------------------

# Where the core, assets, resources and sensors may still read os.environ, and why
# (docs/decisions.md, "Settings and secrets").
PROCESS_ENVIRONMENT = {
    "pipelines/settings.py": "the settings' own loader (which variables changed)",
    "pipelines/control/instance.py": "DAGSTER_HOME and DAGSTER_PG_URL: the Dagster instance",
    "pipelines/cli/demo.py": "prints the DAGSTER_HOME the CLI set for itself",
    "pipelines/redaction.py": "masks what libraries read from the process (AWS_*, …)",
}


def test_the_core_reads_the_environment_only_where_it_is_the_process_environment():
    readers = sorted(
        str(p.relative_to(ROOT))
        for room in ("pipelines", "assets", "resources", "sensors")
        for p in (ROOT / room).rglob("*.py")
        if "migrations" not in p.parts
        and re.search(r"os\.environ|os\.getenv|getenv\(", p.read_text())
    )
    assert readers == sorted(PROCESS_ENVIRONMENT)


def test_settings_fields_are_grouped_by_domain_without_overlap():
    owners: dict[str, str] = {}
    for group in settings_module.GROUPS:
        for field in group.__annotations__:
            if field in group.model_fields:
                assert field not in owners, (field, owners.get(field), group.__name__)
                owners[field] = group.__name__
    assert set(owners) == set(Settings.model_fields)
