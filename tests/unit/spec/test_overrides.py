from __future__ import annotations

from datetime import timedelta

from sluiceway.spec.overrides import setting_variables

SETTINGS = """\
name: shop
lake: ./lake
defaults: {retries: 2, timeout: 30m}
environments:
  dev:
    lake: ./lake-dev
    defaults: {retries: 0}
  staging:
    engine: spark
"""

PIPELINE = {
    "pipelines/p.yaml": """\
    name: p
    steps:
      - {name: s, type: sql, query: select 1, table: raw.s}
    """
}


def test_defaults_when_the_file_is_minimal(make_project, load) -> None:
    project = load(make_project(PIPELINE, settings="name: shop\n"))
    settings = project.settings
    assert project.env == "prod"
    assert (settings.lake, settings.landing, settings.engine) == ("./lake", "./landing", "duckdb")
    assert settings.metadata == "sqlite:///.sluiceway/metadata.db"
    assert settings.layers == ["raw", "silver", "gold"]
    assert settings.defaults.retries == 2
    assert settings.defaults.retry_delay == timedelta(seconds=10)
    assert settings.defaults.timeout == timedelta(hours=1)
    assert settings.defaults.max_parallel == 4
    assert settings.metadata_url(project.root) == "sqlite:///" + str(
        project.root / ".sluiceway" / "metadata.db"
    )


def test_environment_section_applies_over_the_file(make_project, load) -> None:
    root = make_project(PIPELINE, settings=SETTINGS)
    prod = load(root).settings
    dev = load(root, env="dev").settings
    assert (prod.lake, prod.defaults.retries) == ("./lake", 2)
    assert (dev.lake, dev.defaults.retries) == ("./lake-dev", 0)
    assert dev.defaults.timeout == timedelta(minutes=30)  # merged, not replaced
    assert load(root, env="staging").settings.engine == "spark"


def test_variables_apply_over_the_environment(make_project, load) -> None:
    root = make_project(PIPELINE, settings=SETTINGS)
    environ = {
        "SLUICEWAY_LAKE": "s3://bucket/lake",
        "SLUICEWAY_DEFAULTS__RETRIES": "5",
        "SLUICEWAY_METADATA": "postgresql+psycopg://u:${env:PGPASSWORD}@db/meta",
        "SLUICEWAY_LAYERS": "bronze, raw",
        "SLUICEWAY_PROJECT": "/somewhere",  # CLI options, not settings
        "SLUICEWAY_ENV": "dev",
        "PATH": "/usr/bin",
    }
    settings = load(root, env="dev", environ=environ).settings
    assert settings.lake == "s3://bucket/lake"
    assert settings.defaults.retries == 5
    assert settings.defaults.timeout == timedelta(minutes=30)
    assert settings.metadata == "postgresql+psycopg://u:${env:PGPASSWORD}@db/meta"
    assert settings.layers == ["bronze", "raw"]


def test_nested_storage_variable(make_project, load) -> None:
    environ = {"SLUICEWAY_STORAGE__S3__REGION": "eu-west-3"}
    settings = load(make_project(PIPELINE), environ=environ).settings
    assert settings.storage.s3 is not None
    assert settings.storage.s3.region == "eu-west-3"


def test_unknown_variable_is_a_problem_with_a_suggestion(make_project, problems_of) -> None:
    root = make_project(PIPELINE)
    (problem,) = problems_of(root, environ={"SLUICEWAY_DEFAULTS__RETRYS": "3"})
    assert problem.file == "environment variable SLUICEWAY_DEFAULTS__RETRYS"
    assert problem.line is None
    assert problem.hint == "did you mean 'SLUICEWAY_DEFAULTS__RETRIES'?"
    assert str(problem).startswith("environment variable SLUICEWAY_DEFAULTS__RETRYS: ")


def test_bad_variable_value_cites_the_variable(make_project, problems_of) -> None:
    root = make_project(PIPELINE)
    (problem,) = problems_of(root, environ={"SLUICEWAY_ENGINE": "postgres"})
    assert problem.file == "environment variable SLUICEWAY_ENGINE"
    assert problem.field == "engine"
    assert "expected 'duckdb' or 'spark'" in problem.message


def test_secret_in_a_variable_is_masked(make_project, problems_of) -> None:
    environ = {"SLUICEWAY_METADATA": "postgresql://u:hunter2@db/meta"}
    (problem,) = problems_of(make_project(PIPELINE), environ=environ)
    assert problem.file == "environment variable SLUICEWAY_METADATA"
    assert "hunter2" not in str(problem) and problem.value == "***"


def test_unknown_env_is_a_problem_with_a_suggestion(make_project, problems_of) -> None:
    root = make_project(PIPELINE, settings=SETTINGS)
    (problem,) = problems_of(root, env="stagign")
    assert (problem.file, problem.line, problem.column) == ("sluiceway.yaml", 4, 1)
    assert problem.hint == "did you mean 'staging'?"
    assert "'stagign'" in problem.message


def test_prod_always_exists(make_project, load) -> None:
    assert load(make_project(PIPELINE, settings="name: shop\n"), env="prod").env == "prod"


def test_bad_value_in_an_environment_points_into_its_section(make_project, problems_of) -> None:
    settings = "name: shop\nenvironments:\n  dev:\n    engine: sparky\n"
    (problem,) = problems_of(make_project(PIPELINE, settings=settings), env="dev")
    assert (problem.line, problem.column) == (4, 13)
    assert problem.hint == "did you mean 'spark'?"


def test_every_variable_maps_to_a_setting() -> None:
    variables = setting_variables()
    assert variables["SLUICEWAY_LAKE"] == ("lake",)
    assert variables["SLUICEWAY_DEFAULTS__MAX_PARALLEL"] == ("defaults", "max_parallel")
    assert variables["SLUICEWAY_STORAGE__S3__SECRET_ACCESS_KEY"] == (
        "storage",
        "s3",
        "secret_access_key",
    )
    assert not any(name.startswith("SLUICEWAY_ENVIRONMENTS") for name in variables)


def test_reserved_layer(make_project, problems_of) -> None:
    settings = "name: shop\nlayers: [raw, _system]\n"
    (problem,) = problems_of(make_project(PIPELINE, settings=settings))
    assert problem.field == "layers"
    assert "reserved" in problem.message
