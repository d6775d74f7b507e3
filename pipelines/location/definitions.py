"""The code location: everything Dagster loads, and nothing else.

Assembled by loading modules, not from lists kept by hand: every asset in the `assets`
package, every job in `pipelines.location.jobs`, every schedule in
`pipelines.location.schedules` and every sensor in the `sensors` package is in it (a new one
is in it by being defined there). The design card's top level is kept: assets, jobs,
schedules, sensors, resources and the executor. docs/architecture.md#the-code-location
"""

import pkgutil
import warnings
from importlib import import_module

from dagster import (
    AssetSpec,
    BetaWarning,
    Definitions,
    JobDefinition,
    ScheduleDefinition,
    SensorDefinition,
    load_assets_from_package_module,
    map_asset_specs,
    with_source_code_references,
)
from dagster._core.definitions.unresolved_asset_job_definition import (  # the type of
    UnresolvedAssetJobDefinition,  # define_asset_job's result, not exported at the top level
)

import assets
import sensors
from pipelines.location import jobs, schedules
from pipelines.location.executors import default_executor
from resources.database import FolioDatabase
from resources.email import EmailResource
from resources.file_source import ArchiveResource, FileSourceResource
from resources.outreach import OutreachResource
from resources.records_api import RecordsApiResource
from resources.scoring import ListingScorerResource
from sensors.due_jobs import build_due_jobs_sensor

# Who answers for an asset, by its group: shown as its owners in the UI (a group missing here
# fails tests/location/test_dagster_conventions.py).
OWNERS_BY_GROUP = {
    "daily_ingestion": ["team:county-data"],
    "weekly_ingestion": ["team:county-data"],
    "monthly_ingestion": ["team:county-data"],
    "county": ["team:county-data"],
    "scoring": ["team:leads"],
    "alerts": ["team:alerts"],
    "reports": ["team:reports"],
}

# Dagster (1.13) itself passes `owners=[]` when it binds resources to a sensor's jobs
# (SensorDefinition.with_attributes), which warns that `owners` is beta although no sensor
# sets owners. Nothing to change on our side: this one message is silenced.
warnings.filterwarnings(
    "ignore",
    message=r"Parameter `owners` of initializer `SensorDefinition.__init__` is currently in beta",
    category=BetaWarning,
)


def _with_owners(spec: AssetSpec) -> AssetSpec:
    return spec.replace_attributes(owners=OWNERS_BY_GROUP.get(spec.group_name or "", []))


def _modules(package):
    """The package's modules, so that a module added to it is loaded too."""
    return [
        import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def _defined_in(modules, kinds) -> list:
    """Every object of `kinds` at the top level of `modules`, once each (a module that imports
    another's object names it again). Dagster's own `load_definitions_from_modules` does this
    too, but is a preview API in 1.13."""
    found = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, kinds):
                found.setdefault(id(value), value)
    return list(found.values())


def _assets():
    loaded = load_assets_from_package_module(assets)
    with warnings.catch_warnings():
        # `with_source_code_references` and the metadata classes it builds are beta in Dagster
        # 1.13 (a notice per asset); it only adds each asset's file and line to its metadata.
        warnings.simplefilter("ignore", BetaWarning)
        referenced = with_source_code_references(loaded)
    return map_asset_specs(_with_owners, referenced)


_jobs = _defined_in([jobs], (JobDefinition, UnresolvedAssetJobDefinition))

defs = Definitions.merge(
    Definitions(assets=_assets()),
    Definitions(jobs=_jobs, schedules=_defined_in([schedules], ScheduleDefinition)),
    Definitions(sensors=_defined_in(_modules(sensors), SensorDefinition)),
    Definitions(
        # The one sensor built by a factory: it may launch any job of the location.
        sensors=[build_due_jobs_sensor(_jobs)],
        resources={
            "database": FolioDatabase(),
            "file_source": FileSourceResource(),
            "archive": ArchiveResource(),
            "scorer": ListingScorerResource(),
            "email": EmailResource(),
            "records_api": RecordsApiResource(),
            "outreach": OutreachResource(),
        },
        executor=default_executor(),
    ),
)
