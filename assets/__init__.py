"""The assets. The code location loads this package whole (pipelines/location/definitions.py).

Every partitioned asset here uses `backfill_policy=BackfillPolicy.single_run()` (a range of
partitions is one run), a parameter Dagster 1.13 marks beta: it warned once per asset (22
lines each time the code server or a run loaded the location). The notice is for Dagster's
API, not for the operator; this one message is silenced before any asset is defined.
"""

import warnings

from dagster import BetaWarning

warnings.filterwarnings(
    "ignore",
    message=r"Parameter `backfill_policy` of function `asset` is currently in beta",
    category=BetaWarning,
)
