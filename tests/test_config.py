"""Configuration: lookup order, environment overrides, and errors that name the key."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from paperwire.config import load_settings
from paperwire.errors import ConfigError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg")} | extra


def test_no_file_gives_defaults_and_a_sqlite_file_under_xdg_data(tmp_path: Path) -> None:
    settings = load_settings(None, _env(tmp_path, XDG_DATA_HOME=str(tmp_path / "data")), tmp_path)

    assert settings.sources.arxiv.categories == ["cs.LG", "cs.CL"]
    assert settings.http.min_interval == 3.0
    assert settings.database.url == f"sqlite:///{tmp_path}/data/paperwire/paperwire.sqlite3"


def test_lookup_order_prefers_env_file_over_local_over_xdg(tmp_path: Path) -> None:
    (tmp_path / "xdg" / "paperwire").mkdir(parents=True)
    (tmp_path / "xdg" / "paperwire" / "config.toml").write_text("[digest]\nmax_papers = 1\n")
    (tmp_path / "paperwire.toml").write_text("[digest]\nmax_papers = 2\n")
    (tmp_path / "env.toml").write_text("[digest]\nmax_papers = 3\n")

    assert load_settings(None, _env(tmp_path), tmp_path / "xdg").digest.max_papers == 1
    assert load_settings(None, _env(tmp_path), tmp_path).digest.max_papers == 2
    env = _env(tmp_path, PAPERWIRE_CONFIG=str(tmp_path / "env.toml"))
    assert load_settings(None, env, tmp_path).digest.max_papers == 3
    explicit = tmp_path / "xdg" / "paperwire" / "config.toml"
    assert load_settings(explicit, env, tmp_path).digest.max_papers == 1


def test_environment_overrides_nested_keys_and_lists(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        PAPERWIRE_SOURCES__ARXIV__RSS_URL="http://127.0.0.1:9/",
        PAPERWIRE_SOURCES__ARXIV__CATEGORIES="cs.LG, astro-ph",
        PAPERWIRE_SMTP__PASSWORD="hunter2",
        PAPERWIRE_SMTP__FROM="Lab <lab@example.org>",
        PAPERWIRE_HTTP__RETRIES="2",
    )
    settings = load_settings(None, env, tmp_path)

    assert settings.sources.arxiv.rss_url == "http://127.0.0.1:9"
    assert settings.sources.arxiv.categories == ["cs.LG", "astro-ph"]
    assert settings.smtp.password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)
    assert settings.smtp.from_address == "Lab <lab@example.org>"
    assert settings.http.retries == 2


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[http]\ntimeout = -1\n", "http.timeout: Input should be greater than 0"),
        ('[sources.arxiv]\nrss_url = "ftp://x"\n', "sources.arxiv.rss_url: must be an http"),
        ('[sources.arxiv]\nannounce_types = ["old"]\n', "sources.arxiv.announce_types[0]"),
        ("[htpp]\ntimeout = 3\n", "htpp: unknown key"),
        ('[[subscribers]]\nname = "Ada"\n', "subscribers[0].email: Field required"),
        ('[smtp]\nsecurity = "tls"\n', "smtp.security"),
        ('[schedule]\nfetch_cron = "30 0 * * 1-5"\n', "schedule.fetch_cron: '30 0 * * 1-5': write"),
        ('[schedule]\nfetch_cron = "every day"\n', "schedule.fetch_cron: 'every day' is not"),
        ('[schedule]\ntimezone = "Mars/Base"\n', "schedule.timezone: 'Mars/Base' is not a time"),
        ('[digest]\nsend_at = "25:00"\n', "digest.send_at: '25:00' is not a time of day"),
        ('[[subscribers]]\nemail = "a@b.org"\nweekday = "someday"\n', "subscribers[0].weekday"),
        (
            '[[subscribers]]\nemail = "a@b.org"\n[[subscribers]]\nemail = "A@b.org"\n',
            "subscribers[1].email: A@b.org is listed twice",
        ),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "paperwire.toml"
    path.write_text(toml)

    with pytest.raises(ConfigError) as error:
        load_settings(path, _env(tmp_path), tmp_path)

    assert expected in str(error.value)
    assert str(path) in str(error.value)
    assert error.value.exit_code == 2


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "paperwire.toml"
    path.write_text("[digest]\nmax_papers = 3\nmin_score = \n")

    with pytest.raises(ConfigError, match=r"invalid TOML: .*line 3"):
        load_settings(path, _env(tmp_path), tmp_path)


def test_example_config_documents_valid_defaults(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"

    settings = load_settings(example, _env(tmp_path), tmp_path)

    assert settings.sources.arxiv.announce_types == ["new", "cross"]
    lines = example.read_text().splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[number - 1].lstrip().startswith("#"), f"no comment above {line!r}"


def test_numeric_looking_password_from_the_environment_stays_text(tmp_path: Path) -> None:
    env = _env(tmp_path, PAPERWIRE_SMTP__PASSWORD="123456", PAPERWIRE_SMTP__USERNAME="true")

    settings = load_settings(None, env, tmp_path)

    assert settings.smtp.password.get_secret_value() == "123456"
    assert settings.smtp.username == "true"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PAPERWIRE_HTTP__MIN_INTERVAL", "inf", "http.min_interval"),
        ("PAPERWIRE_HTTP__USER_AGENT", "  ", "http.user_agent: must be one line"),
        ("PAPERWIRE_HTTP__USER_AGENT", "a\r\nX-Injected: 1", "http.user_agent: must be one line"),
        ("PAPERWIRE_SOURCES__ARXIV__CATEGORIES", "nonsense", "'nonsense' is not an arXiv"),
    ],
)
def test_values_that_would_break_later_are_refused_now(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected) as error:
        load_settings(None, _env(tmp_path, **{name: value}), tmp_path)

    assert name in str(error.value)


def test_a_misspelt_key_is_named_before_the_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "paperwire.toml"
    path.write_text('[[subscribers]]\nemial = "ada@example.org"\n')

    with pytest.raises(ConfigError) as error:
        load_settings(path, _env(tmp_path), tmp_path)

    message = str(error.value)
    assert message.index("subscribers[0].emial: unknown key") < message.index("email")


def test_example_config_names_every_key(tmp_path: Path) -> None:
    from pydantic import BaseModel

    from paperwire.config import Settings, SubscriberSettings

    text = (Path(__file__).resolve().parent.parent / "config.example.toml").read_text()

    def keys(model: type[BaseModel], prefix: str) -> list[str]:
        found = []
        for name, field in model.model_fields.items():
            annotation = field.annotation
            arguments = typing.get_args(annotation)
            item = arguments[0] if len(arguments) == 1 else None  # list[X]
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found += keys(annotation, f"{prefix}{name}.")
            elif isinstance(item, type) and issubclass(item, BaseModel):
                if name != "subscribers":  # [[tables]] of their own: their keys count
                    found += keys(item, f"{prefix}{name}.")
            else:
                found.append(field.alias or name)
        return found

    missing = [
        k
        for k in keys(Settings, "") + keys(SubscriberSettings, "subscribers.")
        if f"\n{k.rsplit('.', 1)[-1]} = " not in text
        and f"\n# {k.rsplit('.', 1)[-1]} = " not in text
    ]
    assert missing == []


def test_example_subscriber_is_valid_once_uncommented(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / "config.example.toml").read_text()
    block = text[text.index("# [[subscribers]]") :]
    uncommented = "\n".join(line.removeprefix("# ") for line in block.splitlines())
    path = tmp_path / "paperwire.toml"
    path.write_text(uncommented)

    settings = load_settings(path, _env(tmp_path), tmp_path)

    profile = settings.subscribers[0].to_reader().profile
    assert profile.like == ["2401.01234"]
    assert profile.query.startswith('("graph neural" OR GNN)')
